/**
 * LoRA bots in the library: kept as adapter + base reference (no second copy of the weights),
 * listed with sizes, refused deletion of a used base, dropped adapters found their base or name it,
 * and the adapter zip goes out and comes back in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adapterToKeep, checkAdapter, exportAdapterZip, libraryEntries, mergedBotFiles, readAdapterDrop, refuseUsedBase } from '../../../src/engine/adapters';
import { modelFiles } from '../../../src/engine/model-source';
import { readAdapterZip } from '../../../src/export/adapterZip';
import { MemoryStore } from '../../../src/hub/store';
import { loadGPT2, saveLoraAdapter, saveSafetensors, type GPT2 } from '../../../src/model';
import { addLoRA } from '../../../src/train/lora';
import { tinyFile } from '../../helpers/fixtures';
import { useCpu } from '../model/helpers';

const BASE_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const baseFiles = () => Object.fromEntries(BASE_FILES.map((n) => [n, tinyFile(n)]));

async function storeWithBase(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.putModel({ id: 'test/tiny-gpt2@main', name: 'test/tiny-gpt2', kind: 'base', baseRepo: 'test/tiny-gpt2', revision: 'main', files: BASE_FILES }, baseFiles());
  return store;
}

/** The tiny base with a LoRA adapter whose B is not zero (as after training). */
async function trainedBot(): Promise<GPT2> {
  const model = await loadGPT2(baseFiles());
  addLoRA(model, { rank: 4, alpha: 8, seed: 2 });
  let i = 0;
  for (const { B } of model.adapters.values()) tf.tidy(() => B.assign(tf.randomNormal(B.shape, 0, 0.05, 'float32', 40 + i++)));
  return model;
}

/** Byte equality of large arrays (toEqual on megabytes takes minutes). */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
const asDrop = (files: Record<string, Uint8Array>) => Object.entries(files).map(([name, bytes]) => ({ name, file: new Blob([bytes as Uint8Array<ArrayBuffer>]) }));
const noProgress = { host: 'http://127.0.0.1:9/', onProgress: () => {}, onStorageFull: () => {}, saveDropped: async () => false };

beforeAll(useCpu);

describe('LoRA bots in the library', () => {
  it('a LoRA run on a stored base is kept as its adapter plus a reference, and the library says so with sizes', async () => {
    const store = await storeWithBase();
    const bot = await trainedBot();
    const adapter = await adapterToKeep(store, bot, { id: 'test/tiny-gpt2@main', repo: 'test/tiny-gpt2' });
    expect(Object.keys(adapter!).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    await store.putModel({ id: 'finetuned/bot', name: 'bot', kind: 'finetuned', baseRepo: 'test/tiny-gpt2', revision: 'main', files: Object.keys(adapter!), adapterOf: 'test/tiny-gpt2@main' }, adapter!);

    const entries = libraryEntries(await store.listModels());
    const base = entries.find((e) => e.id === 'test/tiny-gpt2@main')!;
    const botEntry = entries.find((e) => e.id === 'finetuned/bot')!;
    const adapterBytes = adapter!['adapter_config.json'].byteLength + adapter!['adapter_model.safetensors'].byteLength;
    expect(botEntry.sizeBytes).toBe(adapterBytes);
    expect(botEntry.sizeBytes).toBeLessThan(base.sizeBytes / 10);
    expect(botEntry.adapter).toEqual({ baseId: 'test/tiny-gpt2@main', baseName: 'test/tiny-gpt2', baseSizeBytes: base.sizeBytes });
    expect(base.usedBy).toEqual(['bot']);

    // No bot on a bot: a model that is itself a LoRA bot is kept whole.
    expect(await adapterToKeep(store, bot, { id: 'finetuned/bot', repo: 'test/tiny-gpt2' })).toBeNull();

    // Deleting a used base asks first (the engine refuses without evenIfUsed).
    await expect(refuseUsedBase(store, 'test/tiny-gpt2@main')).rejects.toThrow(/The LoRA bot bot uses this base model/);
    await expect(refuseUsedBase(store, 'finetuned/bot')).resolves.toBeUndefined();

    // Loading the bot from the library: its base's files, with its adapter on top.
    const loaded = await modelFiles({ kind: 'library', id: 'finetuned/bot' }, { store, ...noProgress });
    expect(Object.keys(loaded.files).sort()).toEqual([...BASE_FILES].sort());
    expect(loaded.adapter?.files).toEqual(adapter);

    // Its Hugging Face export holds the merged weights, exactly as saveSafetensors of the trained model.
    const merged = await mergedBotFiles(store, (await store.getModel('finetuned/bot'))!, {});
    expect(sameBytes(merged['model.safetensors'], await saveSafetensors(bot, { format: 'pt' }))).toBe(true);
    expect(sameBytes(merged['tokenizer.json'], tinyFile('tokenizer.json'))).toBe(true);

    // Without its base, the bot names the repo it needs.
    await store.deleteModel('test/tiny-gpt2@main');
    expect(libraryEntries(await store.listModels()).find((e) => e.id === 'finetuned/bot')!.adapter?.baseName).toBeNull();
    await expect(modelFiles({ kind: 'library', id: 'finetuned/bot' }, { store, ...noProgress })).rejects.toThrow(/needs its base model test\/tiny-gpt2/);
    bot.dispose();
  });

  it('the adapter zip holds the PEFT files, a README and the notes; dropped back it finds its base, or names it', async () => {
    const store = await storeWithBase();
    const bot = await trainedBot();
    const files = await saveLoraAdapter(bot, { baseModel: 'test/tiny-gpt2' });
    bot.dispose();
    const record = await store.putModel({ id: 'finetuned/bot', name: 'Bot', kind: 'finetuned', baseRepo: 'test/tiny-gpt2', revision: 'main', files: Object.keys(files), adapterOf: 'test/tiny-gpt2@main', finalValLoss: 3.5 }, files);
    const { fileName, blob } = await exportAdapterZip(record, files);
    expect(fileName).toBe('bot-lora.zip');
    const zip = await readAdapterZip(blob);
    expect(zip?.files).toEqual(files);
    expect(zip?.meta).toMatchObject({ name: 'Bot', kind: 'lora-adapter', baseRepo: 'test/tiny-gpt2', finalValLoss: 3.5 });

    const dropZip = [{ name: fileName, file: blob }];
    expect(await checkAdapter(store, dropZip)).toEqual({ baseRepo: 'test/tiny-gpt2', baseId: 'test/tiny-gpt2@main', baseName: 'test/tiny-gpt2', rank: 4, sizeBytes: files['adapter_config.json'].byteLength + files['adapter_model.safetensors'].byteLength });
    expect((await readAdapterDrop(asDrop(files)))?.files).toEqual(files);
    // A model's files, or a model zip, are no adapter.
    expect(await checkAdapter(store, asDrop({ 'config.json': tinyFile('config.json') }))).toBeNull();

    // A drop: stored (by the engine, after it loads) as a new bot on the same base, named from the notes.
    const dropped = await modelFiles({ kind: 'adapter', files: dropZip }, { store, ...noProgress });
    expect(dropped.adapter?.record).toMatchObject({ name: 'Bot (' + dropped.adapter!.record!.id.slice(-12, -6) + ')', adapterOf: 'test/tiny-gpt2@main', kind: 'finetuned', files: ['adapter_config.json', 'adapter_model.safetensors'] });
    expect(Object.keys(dropped.files).sort()).toEqual([...BASE_FILES].sort());

    // Base not in the library: the check says which repo, loading refuses naming it.
    const empty = new MemoryStore();
    expect(await checkAdapter(empty, dropZip)).toMatchObject({ baseRepo: 'test/tiny-gpt2', baseId: null });
    await expect(modelFiles({ kind: 'adapter', files: dropZip }, { store: empty, ...noProgress })).rejects.toThrow(/needs its base model test\/tiny-gpt2/);
    // A drop without its config says so.
    await expect(modelFiles({ kind: 'adapter', files: asDrop({ 'adapter_model.safetensors': files['adapter_model.safetensors'] }) }, { store, ...noProgress })).rejects.toThrow(/adapter_config\.json is missing/);
    expect((await store.listModels()).length).toBe(2);
  });
});
