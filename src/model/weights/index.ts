/**
 * Reading a GPT-2 checkpoint from the files of a Hugging Face repo, in the order transformers
 * prefers them: model.safetensors, its sharded form, pytorch_model.bin, its sharded form.
 */
import { describeValue } from './describe';
import { toGPT2Weights, type GPT2WeightShapes } from './gpt2-names';
import { parseSafetensors, type ParseOptions } from './safetensors';
import { readTorchStateDict } from './torch';
import { setOwn, type CheckpointTensor, type RawTensor } from './types';

export * from './types';
export * from './decode';
export * from './safetensors';
export * from './pickle';
export * from './torch';
export * from './gpt2-names';
export * from './describe';
export * from './zip-entries';

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';
export const TORCH_FILE = 'pytorch_model.bin';
export const TORCH_INDEX_FILE = 'pytorch_model.bin.index.json';

export type WeightFormat = 'safetensors' | 'safetensors-sharded' | 'torch' | 'torch-sharded';

export interface WeightFilePlan {
  format: WeightFormat;
  /** The file to fetch first: the weights, or for a sharded checkpoint its index (then `shardFileNames`). */
  file: string;
}

const PLANS: readonly WeightFilePlan[] = [
  { format: 'safetensors', file: SAFETENSORS_FILE },
  { format: 'safetensors-sharded', file: SAFETENSORS_INDEX_FILE },
  { format: 'torch', file: TORCH_FILE },
  { format: 'torch-sharded', file: TORCH_INDEX_FILE },
];

export const NO_WEIGHTS_MESSAGE = `No weights found: expected ${SAFETENSORS_FILE} or ${TORCH_FILE}`;

/** Which weight file of a repo to use, given the names of its files; null when it has none. */
export function weightFileNames(available: Iterable<string>): WeightFilePlan | null {
  const names = new Set(available);
  return PLANS.find((plan) => names.has(plan.file)) ?? null;
}

/** The `weight_map` of a sharded checkpoint's index: tensor name -> shard file name. */
export function parseShardIndex(index: Uint8Array | string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(typeof index === 'string' ? index : new TextDecoder().decode(index));
  } catch (e) {
    throw new Error(`shard index is not valid JSON (${(e as Error).message})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new Error('shard index has no weight_map object');
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || file === '') throw new Error(`shard index maps '${name}' to ${describeValue(file)}, not a file name`);
    out.set(name, file);
  }
  return out;
}

/** The shard files a sharded checkpoint's index names, in first-use order. */
export function shardFileNames(index: Uint8Array | string): string[] {
  return [...new Set(parseShardIndex(index).values())];
}

async function readWithContext<T>(file: string, read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw new Error(`Could not read ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function readOne(format: 'safetensors' | 'torch', file: string, bytes: Uint8Array, options: ParseOptions = {}): Promise<Record<string, CheckpointTensor>> {
  return readWithContext(file, () => (format === 'safetensors' ? parseSafetensors(bytes, options).tensors : readTorchStateDict(bytes)));
}

async function readSharded(
  format: 'safetensors' | 'torch',
  indexFile: string,
  files: Record<string, Uint8Array>,
  options: ParseOptions = {},
): Promise<Record<string, CheckpointTensor>> {
  const weightMap = await readWithContext(indexFile, () => parseShardIndex(files[indexFile]));
  const shards = [...new Set(weightMap.values())];
  const absent = shards.filter((shard) => !Object.prototype.hasOwnProperty.call(files, shard));
  if (absent.length > 0) throw new Error(`${indexFile} names shard files that were not provided: ${absent.join(', ')}`);
  const out: Record<string, CheckpointTensor> = {};
  const source = new Map<string, string>();
  for (const shard of shards) {
    const tensors = await readOne(format, shard, files[shard], options);
    for (const [name, tensor] of Object.entries(tensors)) {
      const seen = source.get(name);
      if (seen) throw new Error(`tensor '${name}' is in both ${seen} and ${shard}`);
      source.set(name, shard);
      setOwn(out, name, tensor);
    }
  }
  for (const [name, shard] of weightMap) {
    if (source.get(name) !== shard) throw new Error(`${indexFile} puts '${name}' in ${shard}, but it is not there`);
  }
  return out;
}

/** Every tensor of the checkpoint among `files` (keyed by file name), before any GPT-2 mapping. */
export async function readCheckpointTensors(files: Record<string, Uint8Array>, options: ParseOptions = {}): Promise<Record<string, CheckpointTensor>> {
  const plan = weightFileNames(Object.keys(files));
  if (!plan) throw new Error(NO_WEIGHTS_MESSAGE);
  switch (plan.format) {
    case 'safetensors':
      return readOne('safetensors', plan.file, files[plan.file], options);
    case 'torch':
      return readOne('torch', plan.file, files[plan.file]);
    case 'safetensors-sharded':
      return readSharded('safetensors', plan.file, files, options);
    case 'torch-sharded':
      return readSharded('torch', plan.file, files);
  }
}

/** Reads the GPT-2 weights of a repo's files, checked against `cfg` and keyed canonically (`h.0.attn.c_attn.weight`). */
export async function readGPT2Checkpoint(files: Record<string, Uint8Array>, cfg: GPT2WeightShapes, options: ParseOptions = {}): Promise<Record<string, RawTensor>> {
  return toGPT2Weights(await readCheckpointTensors(files, options), cfg);
}
