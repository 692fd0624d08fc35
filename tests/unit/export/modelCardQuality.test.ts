import { describe, expect, it } from 'vitest';
import { writeModelCard, type CardSample, type ModelCardInput } from '../../../src/export/modelCard';
import { buildExportZip } from '../../../src/export/exportZip';
import { BlobReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';

const sample = (seed: number, copy: boolean): CardSample => ({
  prompt: '',
  seed,
  text: `tweet number ${seed}`,
  copy: copy ? { original: `tweet number ${seed}`, date: '2021-03-04T05:06:07.000Z', username: 'alice_w', run: 3 } : null,
});

const input: ModelCardInput = {
  botName: 'alice_w-bob',
  displayNames: ['Alice', 'Bob'],
  usernames: ['alice_w', 'bob'],
  stats: [
    { username: 'alice_w', displayName: 'Alice', downloaded: 10, retweets: 1, short: 1, kept: 8 },
    { username: 'bob', displayName: 'Bob', downloaded: 10, retweets: 0, short: 0, kept: 10 },
  ],
  baseModel: 'openai-community/gpt2',
  training: { epochs: 4, steps: 10, lr: 1e-4, batch: 8, mode: 'full', blockSize: 128, valLossBefore: 4.5, valLossAfter: 3.25, trainLoss: 3, seconds: 60, backend: 'wasm' },
  date: new Date('2026-03-14T15:09:26Z'),
  quality: {
    people: [
      { username: 'alice_w', displayName: 'Alice', valTweets: 3, valLossBefore: 4.25, valLossAfter: 3.5 },
      { username: 'bob', displayName: 'Bob', valTweets: 2, valLossBefore: 5, valLossAfter: null },
    ],
    samples: Array.from({ length: 20 }, (_, i) => sample(1000 + i, i < 3)),
    sampleSettings: { maxNewTokens: 40, temperature: 1, topK: 50, topP: 1 },
    copies: 3,
  },
  avatars: [{ username: 'alice_w', file: 'avatar-alice_w.jpg' }],
};

describe('the model card: evaluation and avatars', () => {
  const card = writeModelCard(input);

  it('has the per-person losses and perplexities before and after, and the totals', () => {
    expect(card).toContain('| Alice (@alice\\_w) | 3 | 4.2500 (perplexity 70.1) | 3.5000 (perplexity 33.1) |');
    expect(card).toContain('| Bob (@bob) | 2 | 5.0000 (perplexity 148.4) | — |');
    expect(card).toContain('| All | | 4.5000 (perplexity 90.0) | 3.2500 (perplexity 25.8) |');
  });

  it('names a person whose handle was never given (a Bluesky export) without an empty "(@)"', () => {
    const people = [{ username: '', displayName: 'Sky Person', valTweets: 4, valLossBefore: 4, valLossAfter: 3 }];
    const withBluesky = writeModelCard({ ...input, quality: { ...input.quality!, people } });
    expect(withBluesky).toContain('| Sky Person (no handle given) | 4 |');
    expect(withBluesky).not.toContain('(@)');
  });

  it('counts the copies among the seeded tweets and shows 5 of them, new ones first, with prompt and settings', () => {
    expect(card).toContain('**Copies: 3 of 20** seeded tweets');
    expect(card).toContain('max 40 new tokens, temperature 1, top-k 50, top-p 1');
    expect(card).toMatch(/prompt: none/);
    const shown = card.split('\n').filter((l) => l.startsWith('- seed '));
    expect(shown).toHaveLength(5);
    expect(shown.every((l) => l.endsWith('new (copies no training tweet)'))).toBe(true);
    expect(shown[0]).toContain('seed 1003');
  });

  it('says when a shown tweet copies, with the original’s date', () => {
    const onlyCopies = writeModelCard({ ...input, quality: { ...input.quality!, samples: [sample(7, true)], copies: 1 } });
    expect(onlyCopies).toContain('- seed 7: tweet number 7 — **copies** a training tweet of 2021-03-04 (3 words in a row)');
  });

  it('shows each avatar above the bot name, by a relative path', () => {
    const img = card.indexOf('<img src="avatar-alice_w.jpg" alt="@alice_w"');
    expect(img).toBeGreaterThan(0);
    expect(img).toBeLessThan(card.indexOf('AI BOT'));
  });

  it('leaves the section out when nothing was measured', () => {
    expect(writeModelCard({ ...input, quality: undefined, avatars: undefined })).not.toContain('## Evaluation');
  });
});

describe('the export zip: files beside README.md', () => {
  it('holds the avatar files, and refuses names that would clash or nest', async () => {
    const base = { safetensors: new Uint8Array(8), config: {}, generationConfig: {}, tokenizerFiles: {}, card: 'card' };
    const zip = await buildExportZip({ ...base, extraFiles: { 'avatar-alice_w.jpg': new Uint8Array([1, 2, 3]) } });
    const entries = await new ZipReader(new BlobReader(new Blob([zip as Uint8Array<ArrayBuffer>]))).getEntries();
    const avatar = entries.find((e) => e.filename === 'avatar-alice_w.jpg');
    expect(avatar).toBeDefined();
    expect(Array.from(await (avatar as unknown as { getData(w: Uint8ArrayWriter): Promise<Uint8Array> }).getData(new Uint8ArrayWriter()))).toEqual([1, 2, 3]);
    await expect(buildExportZip({ ...base, extraFiles: { 'README.md': new Uint8Array(1) } })).rejects.toThrow(/Cannot export/);
    await expect(buildExportZip({ ...base, extraFiles: { 'a/b.jpg': new Uint8Array(1) } })).rejects.toThrow(/Cannot export/);
  });
});
