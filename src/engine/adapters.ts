/**
 * LoRA bots in the library: a bot is kept as its PEFT adapter (a few MB) plus a reference to the
 * base model it adapts (`adapterOf`), whose weights every bot of that base shares. This module
 * reads dropped adapters, finds their base, attaches them, and exports them as a zip.
 */
import { buildAdapterZip, readAdapterZip, writeAdapterReadme, ADAPTER_FILES } from '../export/adapterZip';
import { META_FILE } from '../export/exportZip';
import { slugify } from '../export/modelCard';
import type { ModelInput, ModelRecord, Store } from '../hub/store';
import { loadGPT2, loadLoraAdapter, parseAdapterConfig, saveLoraAdapter, saveSafetensors, type GPT2 } from '../model/index';
import { mergeLoRA } from '../train/lora';
import type { AdapterCheck, LibraryEntry } from './api';
import { libraryEntry, type ExportMeta, type FinetuneNotes } from './library';
import { sideFiles } from './loaded-model';

export type DroppedFiles = Array<{ name: string; file: Blob }>;

export interface AdapterDrop {
  /** adapter_config.json and adapter_model.safetensors (either may be missing: loading says so) */
  files: Record<string, Uint8Array>;
  /** tweetgpt.json of an adapter zip exported here (name, notes), or null */
  meta: ExportMeta | null;
}

const baseName = (path: string) => path.replace(/\\/g, '/').split('/').pop() ?? path;

/** The adapter among dropped files (its two files, or one zip of them); null when they are not an adapter. */
export async function readAdapterDrop(dropped: DroppedFiles): Promise<AdapterDrop | null> {
  const real = dropped.filter((d) => !/(^|\/)(__MACOSX\/|\.DS_Store$)/.test(d.name));
  if (real.length === 1 && /\.zip$/i.test(real[0].name)) {
    // An unreadable zip is no adapter: the model import reports what is wrong with it.
    const zip = await readAdapterZip(real[0].file).catch(() => null);
    return zip ? { files: zip.files, meta: (zip.meta as ExportMeta | null) ?? null } : null;
  }
  const files: Record<string, Uint8Array> = {};
  let meta: ExportMeta | null = null;
  for (const d of real) {
    const name = baseName(d.name);
    if ((ADAPTER_FILES as readonly string[]).includes(name)) files[name] = new Uint8Array(await d.file.arrayBuffer());
    else if (name === META_FILE) meta = (JSON.parse(await d.file.text().catch(() => 'null')) as ExportMeta | null) ?? null;
  }
  return Object.keys(files).length > 0 ? { files, meta } : null;
}

/** The library's copy of a base repo (a downloaded or dropped base, never another bot); null if none. */
export async function findBase(store: Store, repo: string): Promise<ModelRecord | null> {
  const bases = (await store.listModels()).filter((m) => m.kind === 'base' && !m.adapterOf && m.baseRepo === repo);
  return bases.find((m) => m.id === `${repo}@main`) ?? bases[0] ?? null;
}

/** The base a stored LoRA bot adapts: the record it was saved with, or another copy of the same repo. */
export async function baseOf(store: Store, bot: ModelRecord): Promise<ModelRecord> {
  const base = (bot.adapterOf ? await store.getModel(bot.adapterOf) : undefined) ?? (await findBase(store, bot.baseRepo));
  if (!base?.complete) throw new Error(missingBase(bot.baseRepo));
  return base;
}

export function missingBase(repo: string): string {
  return `This LoRA bot needs its base model ${repo}, which is not in this browser's library. Download ${repo} first (the page offers to), then load the bot again.`;
}

/** What the page needs to know of a drop before loading it: is it an adapter, of which base, is that base here. */
export async function checkAdapter(store: Store, dropped: DroppedFiles): Promise<AdapterCheck | null> {
  const drop = await readAdapterDrop(dropped);
  if (!drop) return null;
  const config = parseAdapterConfig(drop.files['adapter_config.json']);
  if (!config.baseModel) throw new Error('adapter_config.json names no base model (base_model_name_or_path): the page cannot tell which GPT-2 it adapts.');
  const base = await findBase(store, config.baseModel);
  const sizeBytes = Object.values(drop.files).reduce((n, b) => n + b.byteLength, 0);
  return { baseRepo: config.baseModel, baseId: base?.id ?? null, baseName: base?.name ?? null, rank: config.rank, sizeBytes };
}

/** Puts the adapter on a loaded base and folds it in: the bot then computes exactly as it did after training. */
export async function applyAdapter(gpt2: GPT2, files: Record<string, Uint8Array>): Promise<void> {
  await loadLoraAdapter(gpt2, files);
  mergeLoRA(gpt2);
}

/** The library record of a dropped adapter (stored once the adapter has loaded on its base). */
export async function droppedAdapterRecord(drop: AdapterDrop, base: ModelRecord, taken: ReadonlySet<string>): Promise<ModelInput> {
  const digest = await crypto.subtle.digest('SHA-256', drop.files['adapter_model.safetensors'] as Uint8Array<ArrayBuffer>);
  const hash = Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, '0')).join('');
  const wanted = drop.meta?.name ?? `${base.baseRepo.split('/').pop()} LoRA ${hash.slice(0, 6)}`;
  const name = taken.has(wanted) ? `${wanted} (${hash.slice(0, 6)})` : wanted;
  return {
    id: `adapter/${slugify(name)}-${hash}`,
    name,
    kind: 'finetuned',
    baseRepo: base.baseRepo,
    revision: 'main',
    files: Object.keys(drop.files).sort(),
    adapterOf: base.id,
    archiveSummary: drop.meta?.notes,
    finalValLoss: drop.meta?.finalValLoss ?? undefined,
  };
}

/** The library as the page lists it: a bot says which base it shares, a base which bots use it. */
export function libraryEntries(records: ModelRecord[]): LibraryEntry[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  return records.map((r) => {
    const entry = libraryEntry(r);
    if (r.adapterOf) {
      const base = byId.get(r.adapterOf) ?? records.find((m) => m.kind === 'base' && !m.adapterOf && m.baseRepo === r.baseRepo);
      entry.adapter = { baseId: base?.id ?? r.adapterOf, baseName: base?.name ?? null, baseSizeBytes: base?.sizeBytes ?? null };
    } else if (r.kind === 'base') {
      const users = records.filter((m) => m.adapterOf === r.id || (m.adapterOf && !byId.has(m.adapterOf) && m.baseRepo === r.baseRepo));
      if (users.length > 0) entry.usedBy = users.map((m) => m.name);
    }
    return entry;
  });
}

/** The adapter zip of a stored LoRA bot: the PEFT files, a README, and the notes for re-import. */
export async function exportAdapterZip(record: ModelRecord, files: Record<string, Uint8Array>): Promise<{ fileName: string; blob: Blob }> {
  const config = parseAdapterConfig(files['adapter_config.json']);
  const notes = record.archiveSummary as FinetuneNotes | undefined;
  const readme = writeAdapterReadme({
    botName: notes?.botName ?? record.name,
    baseModel: config.baseModel || record.baseRepo,
    rank: config.rank,
    alpha: config.alpha,
    targetModules: config.targetModules,
    sizeBytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
  });
  const blob = await buildAdapterZip({
    adapter: files,
    readme,
    meta: { tweetgpt: 1, name: record.name, kind: 'lora-adapter', baseRepo: record.baseRepo, notes: notes ? { ...notes, avatars: undefined } : undefined, finalValLoss: record.finalValLoss ?? null },
  });
  return { fileName: `${slugify(record.name)}-lora.zip`, blob };
}

/** A stored LoRA bot as whole-model files (its base's config and tokenizer, merged weights), for the Hugging Face export. */
export async function mergedBotFiles(store: Store, record: ModelRecord, options: { maxTensorBytes?: number }): Promise<Record<string, Uint8Array>> {
  const base = await baseOf(store, record);
  const files = await store.getModelFiles(base.id);
  const gpt2 = await loadGPT2(files, options);
  try {
    await applyAdapter(gpt2, await store.getModelFiles(record.id));
    return { ...sideFiles(files), 'model.safetensors': await saveSafetensors(gpt2, { format: 'pt' }) };
  } finally {
    gpt2.dispose();
  }
}

/** The adapter of a LoRA run, to keep instead of a full copy; null when the run must be kept whole. */
export async function adapterToKeep(store: Store, gpt2: GPT2, base: { id: string; repo: string }): Promise<Record<string, Uint8Array> | null> {
  if (gpt2.adapters.size === 0) return null;
  // Only on a base stored whole: a bot on a bot would need a chain of adapters to load.
  const record = await store.getModel(base.id).catch(() => undefined);
  if (!record?.complete || record.adapterOf || record.kind !== 'base') return null;
  return saveLoraAdapter(gpt2, { baseModel: base.repo });
}

/** Throws when LoRA bots use the base `id`: deleting it asks first (the page passes evenIfUsed then). */
export async function refuseUsedBase(store: Store, id: string): Promise<void> {
  const usedBy = libraryEntries(await store.listModels()).find((e) => e.id === id)?.usedBy ?? [];
  if (usedBy.length === 0) return;
  const bots = usedBy.length === 1 ? `The LoRA bot ${usedBy[0]} uses` : `${usedBy.length} LoRA bots (${usedBy.join(', ')}) use`;
  throw new Error(`${bots} this base model: without it, using ${usedBy.length === 1 ? 'that bot' : 'them'} means downloading it again.`);
}
