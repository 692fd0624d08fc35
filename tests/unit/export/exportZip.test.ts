import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter } from '@zip.js/zip.js';
import { describe, expect, it } from 'vitest';
import { buildExportZip, buildExportZipBlob, readExportZip } from '../../../src/export/exportZip';
import { HubError } from '../../../src/hub/errors';
import { tinyFile, tinyJson } from '../../helpers/fixtures';

const same = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
const enc = (s: string) => new TextEncoder().encode(s);

// Small stand-ins keep the zip fast; the bytes are still compared one by one.
const weights = tinyFile('model.safetensors').slice(0, 200_000);
const config = tinyJson<object>('config.json');
const generationConfig = tinyJson<object>('generation_config.json');
const tokenizerFiles = {
  'tokenizer.json': tinyFile('tokenizer.json'),
  'tokenizer_config.json': tinyFile('tokenizer_config.json'),
  'special_tokens_map.json': tinyFile('special_tokens_map.json'),
};
const card = '---\nlanguage: en\n---\n\n# Alice 🤖\n';

async function zipOf(entries: Record<string, Uint8Array>): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter());
  for (const [name, bytes] of Object.entries(entries)) await writer.add(name, new Uint8ArrayReader(bytes), { useWebWorkers: false });
  return writer.close();
}

describe('export zip', () => {
  it('holds the model laid out like a hub repo and reads back byte-identical', async () => {
    const zip = await buildExportZip({ safetensors: weights, config, generationConfig, tokenizerFiles, card, meta: { kind: 'finetuned', finalValLoss: 3.25 } });

    const reader = new ZipReader(new Uint8ArrayReader(zip), { useWebWorkers: false });
    const entries = await reader.getEntries();
    await reader.close();
    expect(entries.map((e) => e.filename)).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'README.md',
      'tweetgpt.json',
    ]);
    expect(entries.find((e) => e.filename === 'model.safetensors')!.compressionMethod).toBe(0);

    const back = await readExportZip(zip);
    expect(Object.keys(back.files).sort()).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'],
    );
    expect(same(back.files['model.safetensors'], weights)).toBe(true);
    for (const [name, bytes] of Object.entries(tokenizerFiles)) expect(same(back.files[name], bytes)).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(back.files['config.json']))).toEqual(config);
    expect(JSON.parse(new TextDecoder().decode(back.files['generation_config.json']))).toEqual(generationConfig);
    expect(back.card).toBe(card);
    expect(back.meta).toEqual({ kind: 'finetuned', finalValLoss: 3.25 });

    // The same from a Blob (a file the person picked).
    const fromBlob = await readExportZip(await buildExportZipBlob({ safetensors: weights, config, generationConfig, tokenizerFiles, card }));
    expect(same(fromBlob.files['model.safetensors'], weights)).toBe(true);
    expect(fromBlob.meta).toBeUndefined();
  });

  it('accepts a zip whose files sit in one top folder', async () => {
    const zip = await zipOf({
      'alice-bot/config.json': enc('{"n_layer":2}'),
      'alice-bot/pytorch_model.bin': enc('weights'),
      'alice-bot/vocab.json': enc('{}'),
      'alice-bot/merges.txt': enc('#version: 0.2\n'),
      'alice-bot/README.md': enc('# hi'),
      '__MACOSX/alice-bot/._config.json': enc('junk'),
    });
    const back = await readExportZip(zip);
    expect(Object.keys(back.files)).toEqual(['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt']);
    expect(new TextDecoder().decode(back.files['pytorch_model.bin'])).toBe('weights');
    expect(back.card).toBe('# hi');
  });

  it('says what a zip lacks', async () => {
    const zip = await zipOf({ 'config.json': enc('{}'), 'README.md': enc('x') });
    const err = await readExportZip(zip).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('incomplete-model');
    expect((err as Error).message).toBe(
      'This zip does not hold a complete GPT-2 model: weights (model.safetensors or pytorch_model.bin) and tokenizer (tokenizer.json, or vocab.json + merges.txt) are missing.',
    );
    await expect(readExportZip(enc('not a zip at all'))).rejects.toThrow(/not a readable zip/);
  });

  it('refuses tokenizer names that would clash or escape the folder', async () => {
    await expect(
      buildExportZip({ safetensors: weights, config, generationConfig, tokenizerFiles: { 'config.json': enc('{}') }, card }),
    ).rejects.toThrow(/Cannot export a tokenizer file named "config.json"/);
    await expect(
      buildExportZip({ safetensors: weights, config, generationConfig, tokenizerFiles: { '../x': enc('{}') }, card }),
    ).rejects.toThrow(/Cannot export/);
  });
});
