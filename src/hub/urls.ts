/**
 * Where GPT-2 files live on a model host, and which files make a usable GPT-2.
 * Pure: no network here (see discover.ts), so the same file rules serve a remote repo, a dropped
 * folder and an imported zip.
 */
import { HubError } from './errors';

export const DEFAULT_HOST = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export interface HubLocation {
  /** e.g. https://huggingface.co, or a local mirror http://127.0.0.1:8123 */
  host: string;
  /** a branch, tag or commit; `main` unless told otherwise */
  revision: string;
}

export function hubLocation(partial: Partial<HubLocation> = {}): HubLocation {
  return { host: normalizeHost(partial.host ?? DEFAULT_HOST), revision: partial.revision || DEFAULT_REVISION };
}

function normalizeHost(host: string): string {
  const trimmed = host.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(trimmed)) {
    throw new HubError('invalid-repo', `The model host "${host}" is not an http(s) address.`);
  }
  return trimmed;
}

// The Hugging Face hub's own rule for a name part: letters, digits, '-', '_', '.', no '--' or
// '..', not starting or ending with '-' or '.', at most 96 characters.
const NAME_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

function checkPart(part: string, what: string, input: string): void {
  if (part.length > 96 || !NAME_PART.test(part) || part.includes('--') || part.includes('..')) {
    throw new HubError(
      'invalid-repo',
      `"${input}" is not a model name: the ${what} "${part}" may use only letters, digits, "-", "_" and ".", ` +
        'must not start or end with "-" or ".", and is at most 96 characters. ' +
        'Expected "organization/name" (e.g. openai-community/gpt2) or a legacy name like gpt2.',
    );
  }
}

/**
 * Validate a model name typed by a person and return it in canonical form: "org/name" or a bare
 * legacy name ("gpt2", "distilgpt2"). A pasted hub address (https://huggingface.co/org/name/tree/main)
 * is reduced to its name.
 */
export function parseRepo(input: string): string {
  let text = input.trim();
  if (text === '') throw new HubError('invalid-repo', 'Enter a model name such as openai-community/gpt2.');
  const url = /^https?:\/\/[^/]+\/(.*)$/.exec(text);
  if (url) {
    const parts = url[1].split(/[?#]/)[0].split('/').filter(Boolean);
    // /org/name/tree/<rev>/..., /org/name/resolve/<rev>/file, /name/blob/...: keep what comes before.
    const cut = parts.findIndex((p) => p === 'tree' || p === 'blob' || p === 'resolve' || p === 'raw');
    text = (cut === -1 ? parts : parts.slice(0, cut)).join('/');
  }
  text = text.replace(/\/+$/, '');
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new HubError(
      'invalid-repo',
      `"${input}" is not a model name: expected "organization/name" (e.g. openai-community/gpt2) or a legacy name like gpt2.`,
    );
  }
  if (parts.length === 2) checkPart(parts[0], 'organization', input);
  checkPart(parts[parts.length - 1], 'name', input);
  return parts.join('/');
}

/** `${host}/${repo}/resolve/${revision}/${file}`, the layout Hugging Face serves raw files at. */
export function fileUrl(repo: string, file: string, location: Partial<HubLocation> = {}): string {
  const { host, revision } = hubLocation(location);
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${host}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

// ---- which files make a GPT-2 -------------------------------------------------------------------

export const CONFIG_FILE = 'config.json';
export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';
export const PYTORCH_FILE = 'pytorch_model.bin';
export const TOKENIZER_FILE = 'tokenizer.json';
export const VOCAB_FILE = 'vocab.json';
export const MERGES_FILE = 'merges.txt';
/** Used when present; a model works without them. */
export const OPTIONAL_FILES = ['tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'] as const;

export type WeightsFormat = 'safetensors' | 'safetensors-sharded' | 'pytorch';

/** Ask whether a file exists (locally or on a host) and read a shard index. */
export interface FileSource {
  has(name: string): Promise<boolean> | boolean;
  /** Bytes of a small JSON file (only the safetensors index is asked for). */
  read(name: string): Promise<Uint8Array> | Uint8Array;
}

export interface ModelFileChoice {
  /** files to load, in a stable order: config, weights, tokenizer, optional extras */
  files: string[];
  /** what is lacking, in words ("config.json", "weights (model.safetensors or pytorch_model.bin)") */
  missing: string[];
  weightsFormat: WeightsFormat | null;
}

/** The shard file names listed by a `model.safetensors.index.json` (its `weight_map` values). */
export function shardsFromIndex(bytes: Uint8Array): string[] {
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new HubError('incomplete-model', `${SAFETENSORS_INDEX_FILE} is not valid JSON.`, { cause: err });
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null) {
    throw new HubError('incomplete-model', `${SAFETENSORS_INDEX_FILE} has no "weight_map".`);
  }
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  if (shards.length === 0 || shards.some((s) => typeof s !== 'string' || s.includes('..') || s.startsWith('/'))) {
    throw new HubError('incomplete-model', `${SAFETENSORS_INDEX_FILE} lists no usable shard files.`);
  }
  return (shards as string[]).sort();
}

/**
 * Pick the files of a GPT-2 from what a source has, preferring safetensors over the pickle
 * (`pytorch_model.bin`) and `tokenizer.json` over the 2021-era `vocab.json` + `merges.txt`.
 * Probes run in preference order, so a remote source stops at the first hit.
 */
export async function chooseModelFiles(source: FileSource): Promise<ModelFileChoice> {
  const files: string[] = [];
  const missing: string[] = [];

  if (await source.has(CONFIG_FILE)) files.push(CONFIG_FILE);
  else missing.push(CONFIG_FILE);

  let weightsFormat: WeightsFormat | null = null;
  if (await source.has(SAFETENSORS_FILE)) {
    files.push(SAFETENSORS_FILE);
    weightsFormat = 'safetensors';
  } else if (await source.has(SAFETENSORS_INDEX_FILE)) {
    const shards = shardsFromIndex(await source.read(SAFETENSORS_INDEX_FILE));
    files.push(SAFETENSORS_INDEX_FILE);
    const present = await Promise.all(shards.map(async (s) => [s, await source.has(s)] as const));
    for (const [shard, ok] of present) {
      if (ok) files.push(shard);
      else missing.push(`${shard} (a weight shard listed in ${SAFETENSORS_INDEX_FILE})`);
    }
    weightsFormat = 'safetensors-sharded';
  } else if (await source.has(PYTORCH_FILE)) {
    files.push(PYTORCH_FILE);
    weightsFormat = 'pytorch';
  } else {
    missing.push(`weights (${SAFETENSORS_FILE} or ${PYTORCH_FILE})`);
  }

  if (await source.has(TOKENIZER_FILE)) {
    files.push(TOKENIZER_FILE);
  } else {
    const [vocab, merges] = await Promise.all([source.has(VOCAB_FILE), source.has(MERGES_FILE)]);
    if (vocab && merges) files.push(VOCAB_FILE, MERGES_FILE);
    else missing.push(`tokenizer (${TOKENIZER_FILE}, or ${VOCAB_FILE} + ${MERGES_FILE})`);
  }

  const optional = await Promise.all(OPTIONAL_FILES.map(async (f) => [f, await source.has(f)] as const));
  for (const [name, ok] of optional) if (ok) files.push(name);

  return { files, missing, weightsFormat };
}

/** chooseModelFiles over an in-memory set of files (a dropped folder, an unzipped export). */
export function chooseFromNames(names: Iterable<string>, read: (name: string) => Promise<Uint8Array> | Uint8Array) {
  const set = new Set(names);
  return chooseModelFiles({ has: (n) => set.has(n), read });
}

/** "config.json and weights (…)" — for error messages. */
export function describeMissing(missing: string[]): string {
  if (missing.length <= 1) return missing.join('');
  return `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
}
