/**
 * The complete training state as `{ meta, tensors }`: `meta` is plain JSON, `tensors` are
 * Float32Arrays, so the whole object can be structured-cloned (postMessage, IndexedDB) as is, or
 * turned into one byte array (`encodeCheckpoint`) for a file.
 *
 * Tensors are keyed `weights/<name>` (every weight in full mode; only the adapters, named as in
 * loraParams, in LoRA mode: the frozen base comes from the model files), `adam.m/<name>` and
 * `adam.v/<name>`. Resuming needs the same base model and the same dataset (checked through the
 * dataset fingerprint); the epoch orders and dropout masks are recomputed from the seed, so the run
 * continues exactly where it stopped.
 */
import { checkpointName } from '../model/params';
import type { TrainSettings } from './settings';
import type { BudgetPlan } from './budget';

export const CHECKPOINT_FORMAT = 'tweetgpt-training-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface StepRecord {
  step: number;
  trainLoss: number;
  lr: number;
  gradNorm: number;
}

export interface EvalRecord {
  step: number;
  valLoss: number;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  savedAt: string;
  settings: TrainSettings;
  /** Optimizer steps completed; training resumes with step `step` (0-based). */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  /** 0-based epoch and the step inside it where training resumes (derived from `step`, kept for readers). */
  epoch: number;
  stepInEpoch: number;
  dataset: { seed: number; blockSize: number; fingerprint: string; trainBlocks: number; valBlocks: number };
  model: { nLayer: number; nHead: number; nEmbd: number; nPositions: number; vocabSize: number };
  /** Shape of every `weights/<name>` tensor (the m and v tensors share it). */
  shapes: Record<string, number[]>;
  /** AdamW's t. */
  adamStep: number;
  /** Training time so far, pauses excluded. */
  elapsedMs: number;
  /** The part of elapsedMs spent validating (and on live samples); absent in older checkpoints. */
  validationMs?: number;
  history: StepRecord[];
  valHistory: EvalRecord[];
  /** The lowest validation loss so far (its weights are the `best/<name>` tensors); absent in older checkpoints. */
  best?: { step: number; loss: number } | null;
  /** A budgeted run's plan; absent in older checkpoints. */
  plan?: BudgetPlan | null;
  /** Whatever the caller passed (the archive summary): kept, never read. */
  archiveSummary: unknown;
}

export interface TrainingCheckpoint {
  meta: CheckpointMeta;
  tensors: Record<string, Float32Array>;
}

export const weightKey = (name: string): string => `weights/${name}`;
export const adamKey = (which: 'm' | 'v', name: string): string => `adam.${which}/${name}`;

/** Check that a checkpoint is complete and self-consistent; throws with the first problem found. */
/**
 * Refuse a checkpoint that does not belong to this model and dataset: a valid one (see
 * validateCheckpoint), made from the same training data and settings, for the same model shape,
 * and (LoRA) onto a model without adapters yet.
 */
export function checkCheckpointFits(
  cp: TrainingCheckpoint,
  model: { config: TrainingCheckpoint['meta']['model']; adapters: { size: number } },
  dataset: { fingerprint: string },
): void {
  validateCheckpoint(cp);
  const { meta } = cp;
  if (meta.dataset.fingerprint !== dataset.fingerprint) {
    throw new Error('this checkpoint was made from different training data (or different dataset settings)');
  }
  for (const k of ['nLayer', 'nHead', 'nEmbd', 'nPositions', 'vocabSize'] as const) {
    if (meta.model[k] !== model.config[k]) throw new Error(`this checkpoint is for a different model (${k} ${meta.model[k]} vs ${model.config[k]})`);
  }
  if (meta.settings.mode === 'lora' && model.adapters.size > 0) throw new Error('restore a LoRA checkpoint onto a model without adapters');
}

export function validateCheckpoint(cp: TrainingCheckpoint): void {
  const { meta, tensors } = cp;
  if (!meta || meta.format !== CHECKPOINT_FORMAT) throw new Error('not a tweetgpt training checkpoint');
  if (meta.version !== CHECKPOINT_VERSION) throw new Error(`checkpoint version ${meta.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  for (const [name, shape] of Object.entries(meta.shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    for (const key of [weightKey(name), adamKey('m', name), adamKey('v', name)]) {
      const t = tensors[key];
      if (!(t instanceof Float32Array)) throw new Error(`checkpoint is missing tensor ${key}`);
      if (t.length !== size) throw new Error(`checkpoint tensor ${key} has ${t.length} values, expected ${size}`);
    }
  }
}

/**
 * The values of a checkpoint's tensors for variables of shapes `target`. A tensor stored as row
 * chunks ('wte.weight#0', 'wte.weight#1', … on devices with small GPU buffers) is joined and
 * re-split when the checkpoint was saved with another chunking, so training can resume on another
 * backend. Throws when the tensors do not correspond.
 */
export function alignTensors(
  saved: Record<string, number[]>,
  read: (name: string) => Float32Array,
  target: Record<string, number[]>,
): Record<string, Float32Array> {
  const group = (names: string[]) => {
    const groups = new Map<string, string[]>();
    for (const n of names) groups.set(checkpointName(n), [...(groups.get(checkpointName(n)) ?? []), n]);
    for (const list of groups.values()) list.sort((a, b) => chunkIndex(a) - chunkIndex(b));
    return groups;
  };
  const savedGroups = group(Object.keys(saved));
  const targetGroups = group(Object.keys(target));
  const missing = [...targetGroups.keys()].filter((k) => !savedGroups.has(k));
  if (missing.length > 0 || savedGroups.size !== targetGroups.size) {
    throw new Error(
      `this checkpoint's tensors do not match the model (missing ${missing.slice(0, 3).join(', ') || 'none'}; ${savedGroups.size} saved, ${targetGroups.size} trained)`,
    );
  }
  const out: Record<string, Float32Array> = {};
  for (const [base, names] of targetGroups) {
    const from = savedGroups.get(base)!;
    if (from.length === 1 && names.length === 1) {
      if (saved[from[0]].join(',') !== target[names[0]].join(',')) {
        throw new Error(`checkpoint tensor ${base} is [${saved[from[0]]}], the model's is [${target[names[0]]}]`);
      }
      out[names[0]] = read(from[0]);
      continue;
    }
    const rows = (shapes: number[][]) => shapes.reduce((n, s) => n + s[0], 0);
    const rowSize = (s: number[]) => s.slice(1).join(',');
    const fromShapes = from.map((n) => saved[n]);
    const toShapes = names.map((n) => target[n]);
    if (rows(fromShapes) !== rows(toShapes) || new Set([...fromShapes, ...toShapes].map(rowSize)).size !== 1) {
      throw new Error(`checkpoint tensor ${base} is chunked as [${fromShapes.join('] [')}], which does not add up to the model's [${toShapes.join('] [')}]`);
    }
    const whole = new Float32Array(from.reduce((n, name) => n + read(name).length, 0));
    let at = 0;
    for (const name of from) {
      whole.set(read(name), at);
      at += read(name).length;
    }
    at = 0;
    for (const name of names) {
      const size = target[name].reduce((a, b) => a * b, 1);
      out[name] = whole.slice(at, at + size);
      at += size;
    }
  }
  return out;
}

function chunkIndex(name: string): number {
  return name === checkpointName(name) ? 0 : Number(name.slice(checkpointName(name).length + 1));
}

/**
 * One byte array: "TGCK", a little-endian u32 header length, the JSON header (meta plus each
 * tensor's offset and length), padding to 4 bytes, then the float32 data.
 */
export function encodeCheckpoint(cp: TrainingCheckpoint): Uint8Array {
  const index: Record<string, [number, number]> = {};
  let offset = 0;
  for (const [key, t] of Object.entries(cp.tensors)) {
    index[key] = [offset, t.length];
    offset += t.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta: cp.meta, index }));
  const dataStart = align4(8 + header.length);
  const out = new Uint8Array(dataStart + offset * 4);
  out.set([0x54, 0x47, 0x43, 0x4b]); // "TGCK"
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  const floats = new Float32Array(out.buffer, dataStart, offset);
  for (const [key, t] of Object.entries(cp.tensors)) floats.set(t, index[key][0]);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): TrainingCheckpoint {
  if (bytes.length < 8 || bytes[0] !== 0x54 || bytes[1] !== 0x47 || bytes[2] !== 0x43 || bytes[3] !== 0x4b) {
    throw new Error('not a tweetgpt training checkpoint file');
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new Error('checkpoint file is truncated');
  const { meta, index } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as {
    meta: CheckpointMeta;
    index: Record<string, [number, number]>;
  };
  const dataStart = align4(8 + headerLength);
  const total = Math.floor((bytes.length - dataStart) / 4);
  const start = bytes.byteOffset + dataStart;
  // A Float32Array view needs a 4-byte-aligned start; copy only when the input is not aligned.
  const floats =
    start % 4 === 0 ? new Float32Array(bytes.buffer, start, total) : new Float32Array(bytes.slice(dataStart, dataStart + total * 4).buffer);
  const tensors: Record<string, Float32Array> = {};
  for (const [key, [offset, length]] of Object.entries(index)) {
    if (offset + length > total) throw new Error('checkpoint file is truncated');
    tensors[key] = floats.slice(offset, offset + length);
  }
  const cp = { meta, tensors };
  validateCheckpoint(cp);
  return cp;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
