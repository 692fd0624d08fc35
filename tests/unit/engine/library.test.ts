/** Export, then import: the people's pictures beside README.md come back with the notes. */
import { describe, expect, it } from 'vitest';
import { readExportZip } from '../../../src/export/exportZip';
import { exportModelZip, freeName, importedNotes, type ExportMeta, type FinetuneNotes } from '../../../src/engine/library';
import type { ModelRecord } from '../../../src/hub/store-records';
import { tinyFile } from '../../helpers/fixtures';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7]);

const notes = {
  botName: 'Alice & Bob',
  people: [
    { username: 'alice', displayName: 'Alice', downloaded: 10, retweets: 1, short: 1, kept: 8 },
    { username: 'bob.b', displayName: 'Bob', downloaded: 12, retweets: 0, short: 2, kept: 10 },
  ],
  settings: { epochs: 1, learningRate: 1e-4, batchSize: 2, microBatch: 2, blockSize: 32, loraRank: 8 },
  mode: 'full',
  result: { cancelled: false, steps: 4, valLossBefore: 5, valLossAfter: 4, trainLoss: 4.2, seconds: 9 },
  backend: 'wasm',
  baseRepo: 'test/tiny-gpt2',
  avatars: [
    { username: 'alice', fileName: '71-me.png', mimeType: 'image/png', bytes: PNG },
    { username: 'bob.b', fileName: 'avatar.jpeg', mimeType: 'image/jpeg', bytes: JPG },
  ],
} as unknown as FinetuneNotes;

const record: ModelRecord = {
  id: 'local/pair',
  name: 'pair-bot',
  kind: 'finetuned',
  baseRepo: 'test/tiny-gpt2',
  revision: 'main',
  fileRepo: 'local/pair',
  files: ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'],
  sizeBytes: 0,
  createdAt: Date.parse('2026-11-30T00:00:00Z'),
  complete: true,
  archiveSummary: notes,
};

const files = {
  'config.json': tinyFile('config.json'),
  'model.safetensors': tinyFile('model.safetensors'),
  'tokenizer.json': tinyFile('tokenizer.json'),
  'tokenizer_config.json': tinyFile('tokenizer_config.json'),
};

describe('a fine-tuned model through export and import', () => {
  it('keeps the avatars: the card shows them, the zip holds them, importing puts them back in the notes', async () => {
    const { blob } = await exportModelZip(record, files);
    const imported = await readExportZip(blob);
    expect(imported.card).toContain('<img src="avatar-alice.png" alt="@alice"');
    expect(Object.keys(imported.images).sort()).toEqual(['avatar-bob-b.jpeg', 'avatar-alice.png'].sort());

    const back = importedNotes(imported.meta as ExportMeta, imported.images);
    expect(back?.avatars?.map((a) => [a.username, a.mimeType, Array.from(a.bytes)])).toEqual([
      ['alice', 'image/png', Array.from(PNG)],
      ['bob.b', 'image/jpeg', Array.from(JPG)],
    ]);
    expect(back?.people).toEqual(notes.people);

    // Exported again, the same pictures travel on.
    const again = await readExportZip((await exportModelZip({ ...record, archiveSummary: back }, files)).blob);
    expect(again.images['avatar-alice.png']).toEqual(PNG);
  });

  it('a zip without pictures, or without notes, imports as before', () => {
    const stripped = { ...notes, avatars: undefined };
    const noPictures = importedNotes({ notes: stripped, avatars: [{ username: 'alice', file: 'avatar-alice.png', mimeType: 'image/png' }] }, {});
    expect(noPictures).toEqual(stripped);
    expect(importedNotes({}, { 'x.png': PNG })).toBeUndefined();
  });
});

describe('freeName', () => {
  it('keeps a free name, numbers a taken one from 2', () => {
    expect(freeName('bot', new Set(['other']))).toBe('bot');
    expect(freeName('bot', new Set(['bot']))).toBe('bot (2)');
    expect(freeName('bot', new Set(['bot', 'bot (2)', 'bot (3)']))).toBe('bot (4)');
  });
});
