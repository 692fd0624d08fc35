/**
 * The model library's side of the engine: what a fine-tuned model's record keeps, how a record is
 * listed, and the export zip (Hugging Face layout, model card, avatars) built from a stored model.
 */
import { buildExportZipBlob } from '../export/exportZip';
import { ggufFromRepoFiles, type GgufDType } from '../export/gguf';
import { ONNX_FILES, onnxFromRepoFiles } from '../export/onnx';
import { slugify, writeModelCard, type PersonStats } from '../export/modelCard';
import type { ModelRecord } from '../hub/store';
import type { LibraryEntry, QualityReport, TrainSettings } from './api';
import { detectLanguages } from '../archive/language';
import type { ArchiveSet } from './archives';
import { sideFiles } from './loaded-model';
import type { SessionMeta, SessionResult } from './training';

/** What a fine-tuned model's record keeps about how it was made (for the library and the card). */
export interface FinetuneNotes {
  botName: string;
  people: PersonStats[];
  settings: TrainSettings;
  mode: 'full' | 'lora';
  result: Omit<SessionResult, 'history' | 'valHistory'>;
  backend: string;
  baseRepo: string;
  /** Languages of the kept tweets, most used first (absent in models made before they were recorded). */
  languages?: string[];
  /** Per-person losses and the seeded tweets (absent for models trained before they were measured). */
  quality?: QualityReport;
  /** The people's profile pictures, for the exported card (kept out of tweetgpt.json). */
  avatars?: Array<{ username: string; fileName: string; mimeType: string; bytes: Uint8Array }>;
}

/** What the library keeps of a finished run: the people, settings, result, quality and avatars. */
export function finetuneNotes(meta: SessionMeta, result: Omit<SessionResult, 'history' | 'valHistory'>, quality: QualityReport, archives: ArchiveSet, backend: string): FinetuneNotes {
  const summaries = archives.summaries();
  return {
    botName: meta.botName,
    people: summaries.map((a) => ({ username: a.username, displayName: a.displayName, network: a.network, accountId: a.accountId, ...a.stats })),
    settings: meta.settings,
    mode: meta.mode,
    result: { cancelled: false, steps: result.steps, epochs: result.epochs, valLossBefore: result.valLossBefore, valLossAfter: result.valLossAfter, trainLoss: result.trainLoss, seconds: result.seconds, keptStep: result.keptStep, stopReason: result.stopReason },
    backend,
    baseRepo: meta.baseRepo,
    languages: detectLanguages(archives.all.flatMap((a) => a.tweets)),
    quality,
    avatars: summaries.flatMap((a) => (a.avatar ? [{ username: a.username || a.fileName, ...a.avatar }] : [])),
  };
}

/** `wanted`, or "wanted (2)", "wanted (3)"…: the library never lists two models alike. */
export function freeName(wanted: string, taken: ReadonlySet<string>): string {
  let name = wanted;
  for (let i = 2; taken.has(name); i++) name = `${wanted} (${i})`;
  return name;
}

export function libraryEntry(r: ModelRecord): LibraryEntry {
  const notes = r.archiveSummary as FinetuneNotes | undefined;
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    baseRepo: r.baseRepo,
    sizeBytes: r.sizeBytes,
    createdAt: new Date(r.createdAt).toISOString(),
    archiveSummary: notes?.people?.length
      ? notes.people.map((p) => `${p.username ? `@${p.username}` : p.displayName || p.accountId}: ${p.kept} ${(p.network ?? 'x') === 'x' ? 'tweets' : 'posts'} kept of ${p.downloaded}`).join('; ')
      : null,
    finalValLoss: r.finalValLoss ?? null,
  };
}

/** The export zip of a stored model: weights, config, tokenizer, ONNX (fp32 and q8), the model card and avatars. */
export async function exportModelZip(record: ModelRecord, files: Record<string, Uint8Array>): Promise<{ fileName: string; blob: Blob }> {
  const notes = record.archiveSummary as FinetuneNotes | undefined;
  const config = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
  const generationConfig = files['generation_config.json']
    ? (JSON.parse(new TextDecoder().decode(files['generation_config.json'])) as object)
    : { bos_token_id: 50256, eos_token_id: 50256, do_sample: true, max_length: 160, temperature: 1, top_k: 50, top_p: 0.95 };
  const tokenizerFiles: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(sideFiles(files))) if (name !== 'config.json' && name !== 'generation_config.json') tokenizerFiles[name] = bytes;
  const avatars = exportAvatars(notes?.avatars ?? []);
  const card = writeModelCard({
    botName: notes?.botName ?? record.name,
    displayNames: notes?.people.map((p) => p.displayName) ?? [],
    usernames: notes?.people.map((p) => p.username) ?? [],
    stats: notes?.people ?? [],
    baseModel: record.baseRepo,
    training: {
      epochs: notes?.result.epochs ?? notes?.settings.epochs ?? 0,
      steps: notes?.result.steps ?? 0,
      lr: notes?.settings.learningRate ?? 0,
      batch: notes?.settings.batchSize ?? 0,
      mode: notes?.mode ?? 'full',
      loraRank: notes?.mode === 'lora' ? notes.settings.loraRank : undefined,
      blockSize: notes?.settings.blockSize ?? 0,
      valLossBefore: notes?.result.valLossBefore ?? NaN,
      valLossAfter: notes?.result.valLossAfter ?? NaN,
      trainLoss: notes?.result.trainLoss ?? NaN,
      seconds: notes?.result.seconds ?? 0,
      backend: notes?.backend ?? '',
      keptStep: notes?.result.keptStep ?? null,
      stopReason: notes?.result.stopReason ?? null,
    },
    date: new Date(record.createdAt),
    modelId: slugify(record.name),
    languages: notes?.languages,
    quality: notes?.quality,
    avatars: avatars.map((a) => ({ username: a.username, file: a.file })),
  });
  config._name_or_path = record.baseRepo;
  const blob = await buildExportZipBlob({
    safetensors: files['model.safetensors'],
    config,
    generationConfig,
    tokenizerFiles,
    card,
    meta: {
      tweetgpt: 1,
      name: record.name,
      kind: record.kind,
      baseRepo: record.baseRepo,
      notes: notes ? { ...notes, avatars: undefined } : undefined,
      finalValLoss: record.finalValLoss ?? null,
      // Which picture beside README.md is whose, so importing the zip brings them back.
      avatars: avatars.map((a) => ({ username: a.username, file: a.file, mimeType: a.mimeType })),
    },
    extraFiles: Object.fromEntries(avatars.map((a) => [a.file, a.bytes])),
    onnx: {
      [ONNX_FILES.fp32]: () => onnxFromRepoFiles(files, { dtype: 'fp32' }),
      [ONNX_FILES.q8]: () => onnxFromRepoFiles(files, { dtype: 'q8' }),
    },
  });
  return { fileName: `${slugify(record.name)}.zip`, blob };
}

/** A stored model as one .gguf file for llama.cpp, Ollama and LM Studio ('f32' or 'q8_0'). */
export async function exportModelGguf(record: ModelRecord, files: Record<string, Uint8Array>, dtype: GgufDType): Promise<{ fileName: string; blob: Blob }> {
  const blob = await ggufFromRepoFiles(files, { dtype, name: record.name });
  return { fileName: `${slugify(record.name)}-${dtype}.gguf`, blob };
}

/** Avatar files for the export, named after their people (unique, plain names beside README.md). */
function exportAvatars(avatars: NonNullable<FinetuneNotes['avatars']>): Array<{ username: string; file: string; mimeType: string; bytes: Uint8Array }> {
  const used = new Set<string>();
  return avatars.map((a, i) => {
    const ext = a.fileName.split('.').pop()?.toLowerCase().replace(/[^a-z0-9]/g, '') || 'jpg';
    let file = `avatar-${slugify(a.username).replace(/[/.]/g, '-')}.${ext}`;
    if (used.has(file)) file = `avatar-${i + 1}.${ext}`;
    used.add(file);
    return { username: a.username, file, mimeType: a.mimeType, bytes: a.bytes };
  });
}

/** What an export zip's tweetgpt.json says (exportModelZip's meta; any field may be missing). */
export interface ExportMeta {
  name?: string;
  baseRepo?: string;
  notes?: FinetuneNotes;
  finalValLoss?: number | null;
  avatars?: Array<{ username: string; file: string; mimeType: string }>;
}

/** The notes of an imported export, with the avatars found beside README.md put back. */
export function importedNotes(meta: ExportMeta, images: Record<string, Uint8Array>): FinetuneNotes | undefined {
  if (!meta.notes) return undefined;
  const avatars = (meta.avatars ?? []).flatMap((a) => (images[a.file] ? [{ username: a.username, fileName: a.file, mimeType: a.mimeType, bytes: images[a.file] }] : []));
  return avatars.length > 0 ? { ...meta.notes, avatars } : meta.notes;
}

export function nameFromConfig(files: Record<string, Uint8Array>): string | null {
  try {
    const c = JSON.parse(new TextDecoder().decode(files['config.json'])) as { _name_or_path?: string };
    return c._name_or_path || null;
  } catch {
    return null;
  }
}

/** A short content hash of a model's files, to tell dropped models apart. */
export async function fingerprint(files: Record<string, Uint8Array>): Promise<string> {
  const parts = Object.keys(files).sort().map((k) => `${k}:${files[k].byteLength}`);
  const weights = files['model.safetensors'] ?? files['pytorch_model.bin'];
  const head = weights ? weights.subarray(0, Math.min(weights.byteLength, 1 << 20)) : new Uint8Array();
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array([...new TextEncoder().encode(parts.join('|')), ...head]));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}
