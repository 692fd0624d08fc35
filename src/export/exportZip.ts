/**
 * The exported model: one zip laid out like a Hugging Face model repo (config.json,
 * generation_config.json, model.safetensors, tokenizer files, README.md, and onnx/ for
 * transformers.js), so it can be uploaded
 * as is or loaded with `from_pretrained(<unzipped folder>)`; and the reader that takes it back.
 */
import { BlobReader, BlobWriter, Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter } from '@zip.js/zip.js';
import { HubError } from '../hub/errors';
import { chooseFromNames, describeMissing } from '../hub/urls';

/** tweetgpt's own notes (training settings, archive summary), for re-import into the library. */
export const META_FILE = 'tweetgpt.json';
export const CARD_FILE = 'README.md';

export interface ExportInput {
  safetensors: Uint8Array;
  config: object;
  generationConfig: object;
  /** e.g. tokenizer.json, tokenizer_config.json, vocab.json, merges.txt, special_tokens_map.json */
  tokenizerFiles: Record<string, Uint8Array>;
  /** README.md text (writeModelCard) */
  card: string;
  /** written as tweetgpt.json when given */
  meta?: object;
  /** Other files beside README.md that the card refers to (the people's avatars), by plain file name. */
  extraFiles?: Record<string, Uint8Array>;
  /**
   * Files under onnx/ (e.g. 'onnx/model.onnx'), each made only when the zip reaches it and
   * dropped once written, so the weights are not held once more per ONNX file.
   */
  onnx?: Record<string, () => Promise<Blob>>;
}

export interface ImportedZip {
  /** the model files by name (README.md and tweetgpt.json are returned separately) */
  files: Record<string, Uint8Array>;
  card?: string;
  meta?: unknown;
  /** Pictures beside README.md (the card's avatars), by file name: small images only. */
  images: Record<string, Uint8Array>;
}

/** The pictures readExportZip returns beside the model: what a card shows, not arbitrary payloads. */
const IMAGE_FILE = /\.(png|jpe?g|gif|webp)$/i;
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

// zip.js would start its own Web Workers; we already run inside one, and Node has none.
const ZIP_OPTIONS = { useWebWorkers: false } as const;

function json(value: object): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** The zip as bytes. For a download link prefer buildExportZipBlob: it saves a copy of the whole zip. */
export async function buildExportZip(input: ExportInput): Promise<Uint8Array> {
  return new Uint8Array(await (await buildExportZipBlob(input)).arrayBuffer());
}

export async function buildExportZipBlob(input: ExportInput): Promise<Blob> {
  const reserved = new Set(['config.json', 'generation_config.json', 'model.safetensors', CARD_FILE, META_FILE]);
  for (const name of Object.keys(input.tokenizerFiles)) {
    if (reserved.has(name) || name.includes('/') || name === '') {
      throw new Error(`Cannot export a tokenizer file named "${name}".`);
    }
  }
  const entries: Array<[string, Uint8Array]> = [
    ['config.json', json(input.config)],
    ['generation_config.json', json(input.generationConfig)],
    ['model.safetensors', input.safetensors],
    ...Object.entries(input.tokenizerFiles),
    [CARD_FILE, new TextEncoder().encode(input.card)],
  ];
  if (input.meta) entries.push([META_FILE, json(input.meta)]);
  const taken = new Set(entries.map(([name]) => name));
  for (const [name, bytes] of Object.entries(input.extraFiles ?? {})) {
    if (taken.has(name) || name.includes('/') || name === '') throw new Error(`Cannot export a file named "${name}" beside the model.`);
    entries.push([name, bytes]);
  }

  // BlobWriter, not Uint8ArrayWriter: the latter regrows its array on every chunk (quadratic:
  // minutes for a 500 MB model).
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  for (const [name, bytes] of entries) {
    // Float32 weights barely deflate (a few %) and would take seconds to try: store them as they are.
    const level = name === 'model.safetensors' ? 0 : 6;
    await writer.add(name, new Uint8ArrayReader(bytes), { ...ZIP_OPTIONS, level });
  }
  for (const [name, make] of Object.entries(input.onnx ?? {})) {
    if (!/^onnx\/[\w.-]+\.onnx$/.test(name)) throw new Error(`Cannot export an ONNX file named "${name}".`);
    await writer.add(name, new BlobReader(await make()), { ...ZIP_OPTIONS, level: 0 });
  }
  return writer.close();
}

/**
 * Read a zip made by buildExportZip, or any zip of a GPT-2 model folder, including one whose
 * files all sit in a single top folder (what "compress folder" makes).
 */
export async function readExportZip(source: Uint8Array | Blob): Promise<ImportedZip> {
  const reader = new ZipReader(source instanceof Blob ? new BlobReader(source) : new Uint8ArrayReader(source), ZIP_OPTIONS);
  let entries;
  try {
    entries = await reader.getEntries();
  } catch (err) {
    throw new HubError('incomplete-model', `This file is not a readable zip: ${(err as Error).message}`, { cause: err });
  }
  try {
    const fileEntries = entries.filter(
      (e) => !e.directory && !e.filename.startsWith('__MACOSX/') && !e.filename.endsWith('.DS_Store'),
    );
    const prefix = commonTopFolder(fileEntries.map((e) => e.filename));
    const byName = new Map<string, (typeof fileEntries)[number]>();
    for (const e of fileEntries) {
      const name = e.filename.slice(prefix.length);
      if (!name.includes('/')) byName.set(name, e);
    }
    const cache = new Map<string, Uint8Array>();
    const read = async (name: string): Promise<Uint8Array> => {
      let bytes = cache.get(name);
      if (!bytes) {
        const entry = byName.get(name);
        if (!entry || entry.directory) throw new Error(`${name} is not in the zip`);
        bytes = await entry.getData(new Uint8ArrayWriter(), ZIP_OPTIONS);
        cache.set(name, bytes);
      }
      return bytes;
    };

    const choice = await chooseFromNames(byName.keys(), read);
    if (choice.missing.length > 0) {
      throw new HubError(
        'incomplete-model',
        `This zip does not hold a complete GPT-2 model: ${describeMissing(choice.missing)} ` +
          `${choice.missing.length > 1 ? 'are' : 'is'} missing.`,
      );
    }
    const files: Record<string, Uint8Array> = {};
    for (const name of choice.files) files[name] = await read(name);
    const images: Record<string, Uint8Array> = {};
    for (const [name, entry] of byName) {
      if (IMAGE_FILE.test(name) && !entry.directory && entry.uncompressedSize <= MAX_IMAGE_BYTES) images[name] = await read(name);
    }
    const result: ImportedZip = { files, images };
    if (byName.has(CARD_FILE)) result.card = new TextDecoder().decode(await read(CARD_FILE));
    if (byName.has(META_FILE)) {
      try {
        result.meta = JSON.parse(new TextDecoder().decode(await read(META_FILE)));
      } catch {
        // Notes we cannot read are not worth refusing the model for.
      }
    }
    return result;
  } finally {
    await reader.close();
  }
}

/** "model/" when every file sits under one folder "model/", else "". */
function commonTopFolder(paths: string[]): string {
  if (paths.length === 0 || paths.some((p) => !p.includes('/'))) return '';
  const top = paths[0].slice(0, paths[0].indexOf('/') + 1);
  return paths.every((p) => p.startsWith(top)) ? top : '';
}
