/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`,
 * then the data area; offsets are relative to the data area's start.
 * Readers validate everything the header claims before allocating, so a damaged file ends in an
 * Error that says what is wrong rather than a RangeError or a giant allocation.
 */
import { decodeFloats, encodeFloat32LE, floatsSharing } from './decode';
import { describeValue } from './describe';
import {
  DTYPE_SIZE,
  formatShape,
  isDType,
  isFloatDType,
  setOwn,
  shapeSize,
  type CheckpointTensor,
  type DType,
} from './types';

/** The reference implementation refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data area. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Length in bytes of the JSON header (padding included). */
  headerLength: number;
  /** Absolute offset of the data area: 8 + headerLength. */
  dataStart: number;
  metadata: Record<string, string> | null;
  /** Tensors in data order (by begin offset). */
  entries: SafetensorsEntry[];
}

export interface SafetensorsFile {
  metadata: Record<string, string> | null;
  entries: SafetensorsEntry[];
  /** Float dtypes decoded to Float32Array; the rest kept as raw bytes. */
  tensors: Record<string, CheckpointTensor>;
}

export interface NamedFloatTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON header length from the first 8 bytes of a file. With `fileSize`, also checks that the
 * header fits in the file.
 */
export function safetensorsHeaderLength(first8: Uint8Array, fileSize?: number): number {
  if (first8.length < 8) {
    throw new Error(`safetensors: file is truncated: ${first8.length} bytes, the 8-byte header length alone needs 8`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const length = high * 2 ** 32 + low;
  if (high !== 0 || length > MAX_HEADER_BYTES) {
    throw new Error(`safetensors: header length ${length} is absurd (limit ${MAX_HEADER_BYTES}): not a safetensors file or corrupted`);
  }
  if (fileSize !== undefined && 8 + length > fileSize) {
    throw new Error(`safetensors: header length ${length} exceeds the file size (${fileSize} bytes): file truncated or not safetensors`);
  }
  return length;
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseEntry(name: string, info: unknown): SafetensorsEntry {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new Error(`safetensors: header entry '${name}' is not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw new Error(`safetensors: tensor '${name}' has unknown dtype ${describeValue(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new Error(`safetensors: tensor '${name}' has an invalid shape ${describeValue(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new Error(`safetensors: tensor '${name}' has invalid data_offsets ${describeValue(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new Error(`safetensors: tensor '${name}' has data_offsets [${begin}, ${end}] with begin after end`);
  }
  const expected = shapeSize(shape) * DTYPE_SIZE[dtype];
  if (end - begin !== expected) {
    throw new Error(
      `safetensors: tensor '${name}' (${dtype} ${formatShape(shape)}) needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape.slice(), begin, end };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('safetensors: __metadata__ is not an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`safetensors: __metadata__ value for '${k}' is not a string`);
    setOwn(out, k, v);
  }
  return out;
}

/**
 * Parses the header from the first bytes of a file (at least 8 + header length of them).
 * With `fileSize`, every tensor's range is checked against the data area; without it, only
 * the header's own consistency is (offsets ordered, sizes matching shapes, no overlaps).
 */
export function readSafetensorsHeader(headBytes: Uint8Array, fileSize?: number): SafetensorsHeader {
  const headerLength = safetensorsHeaderLength(headBytes, fileSize);
  const dataStart = 8 + headerLength;
  if (headBytes.length < dataStart) {
    throw new Error(
      `safetensors: file is truncated: the ${headerLength}-byte header needs ${dataStart} bytes, only ${headBytes.length} given`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(headBytes.subarray(8, dataStart)));
  } catch (e) {
    throw new Error(`safetensors: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('safetensors: header JSON is not an object');
  }
  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(info);
    else entries.push(parseEntry(name, info));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);

  const dataLength = fileSize === undefined ? Infinity : fileSize - dataStart;
  let previous: SafetensorsEntry | null = null;
  for (const entry of entries) {
    if (entry.end > dataLength) {
      throw new Error(
        `safetensors: tensor '${entry.name}' data_offsets [${entry.begin}, ${entry.end}] are out of range: the data area has ${dataLength} bytes (file truncated?)`,
      );
    }
    if (entry.begin === entry.end) continue; // empty tensors occupy no bytes
    if (previous && entry.begin < previous.end) {
      throw new Error(
        `safetensors: tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${entry.name}' [${entry.begin}, ${entry.end}] have overlapping byte ranges`,
      );
    }
    previous = entry;
  }
  return { headerLength, dataStart, metadata, entries };
}

export interface ParseOptions {
  /**
   * Let float32 tensors view the file's buffer instead of copying it (when aligned): halves the
   * memory and time of loading a model whose weights go straight to a tfjs backend. The file's
   * bytes must then stay unchanged while the tensors are used.
   */
  shareBuffer?: boolean;
}

/** Decodes one tensor from exactly its bytes: float dtypes to Float32Array, others copied raw. */
export function decodeSafetensor(entry: SafetensorsEntry, bytes: Uint8Array, options: ParseOptions = {}): CheckpointTensor {
  if (bytes.length !== entry.end - entry.begin) {
    throw new Error(`safetensors: tensor '${entry.name}' got ${bytes.length} bytes, expected ${entry.end - entry.begin}`);
  }
  const { dtype } = entry;
  if (isFloatDType(dtype)) return { shape: entry.shape.slice(), data: options.shareBuffer ? floatsSharing(bytes, dtype) : decodeFloats(bytes, dtype) };
  return { shape: entry.shape.slice(), dtype, bytes: bytes.slice() };
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const header = readSafetensorsHeader(bytes, bytes.length);
  const tensors: Record<string, CheckpointTensor> = {};
  for (const entry of header.entries) {
    const start = header.dataStart + entry.begin;
    setOwn(tensors, entry.name, decodeSafetensor(entry, bytes.subarray(start, header.dataStart + entry.end), options));
  }
  return { metadata: header.metadata, entries: header.entries, tensors };
}

async function readBlobRange(blob: Blob, begin: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(begin, end).arrayBuffer());
}

/**
 * Parses a safetensors Blob (a File from a drop or from IndexedDB) reading only the header and
 * then one tensor at a time, so the whole file is never in memory at once.
 */
export async function parseSafetensorsBlob(blob: Blob): Promise<SafetensorsFile> {
  const headerLength = safetensorsHeaderLength(await readBlobRange(blob, 0, 8), blob.size);
  const header = readSafetensorsHeader(await readBlobRange(blob, 0, 8 + headerLength), blob.size);
  const tensors: Record<string, CheckpointTensor> = {};
  for (const entry of header.entries) {
    const bytes = await readBlobRange(blob, header.dataStart + entry.begin, header.dataStart + entry.end);
    setOwn(tensors, entry.name, decodeSafetensor(entry, bytes));
  }
  return { metadata: header.metadata, entries: header.entries, tensors };
}

/**
 * Writes float32 tensors as a safetensors file the way the reference writer does: keys sorted,
 * data in key order, `__metadata__` first, header padded with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(tensors: readonly NamedFloatTensor[], metadata?: Record<string, string>): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i];
    if (t.name === '__metadata__') throw new Error("writeSafetensors: '__metadata__' cannot be a tensor name");
    if (i > 0 && sorted[i - 1].name === t.name) throw new Error(`writeSafetensors: duplicate tensor name '${t.name}'`);
    if (!t.shape.every(isNonNegativeInteger)) {
      throw new Error(`writeSafetensors: tensor '${t.name}' has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    if (shapeSize(t.shape) !== t.data.length) {
      throw new Error(`writeSafetensors: tensor '${t.name}' has ${t.data.length} values but shape ${formatShape(t.shape)}`);
    }
  }
  const meta: Record<string, string> = { format: 'pt', ...metadata };
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata value for '${k}' is not a string`);
  }
  // Built by hand: JSON.stringify of one object would move integer-like names ahead of __metadata__.
  const parts = [`"__metadata__":${JSON.stringify(meta)}`];
  let offset = 0;
  for (const t of sorted) {
    const end = offset + t.data.length * 4;
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: 'F32', shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const t of sorted) {
    out.set(encodeFloat32LE(t.data), position);
    position += t.data.length * 4;
  }
  return out;
}
