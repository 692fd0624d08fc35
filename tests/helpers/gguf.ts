/**
 * Tests' view of a .gguf: parsed by @huggingface/gguf (a reader we did not write), the tensors'
 * raw bytes cut out at the offsets it reports, and Q8_0 blocks decoded by the spec.
 */
import { gguf, GGUFValueType } from '@huggingface/gguf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { GGUFValueType };

export interface ReadTensor {
  /** innermost first, as the file stores it */
  shape: number[];
  /** ggml type: 0 F32, 8 Q8_0 */
  dtype: number;
  bytes: Uint8Array;
}

export interface ReadGguf {
  version: number;
  metadata: Record<string, unknown>;
  /** value type (and item type of arrays) of each key */
  types: Record<string, { type: number; subType?: number }>;
  tensors: Map<string, ReadTensor>;
  names: string[];
  tensorDataOffset: number;
}

/** Writes `bytes` to a temporary file (the reader and llama.cpp read files); returns path and cleanup. */
export function tempGguf(bytes: Uint8Array, name = 'model.gguf'): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tweetgpt-gguf-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function readGguf(bytes: Uint8Array): Promise<ReadGguf> {
  const file = tempGguf(bytes);
  try {
    const out = await gguf(file.path, { allowLocalFile: true, typedMetadata: true });
    const start = Number(out.tensorDataOffset);
    const infos = out.tensorInfos;
    const tensors = new Map<string, ReadTensor>();
    const ends = infos.map((t) => start + Number(t.offset)).sort((a, b) => a - b);
    for (const t of infos) {
      const begin = start + Number(t.offset);
      const next = ends.find((e) => e > begin) ?? bytes.length;
      tensors.set(t.name, { shape: t.shape.map(Number), dtype: t.dtype as number, bytes: bytes.subarray(begin, next) });
    }
    const types: ReadGguf['types'] = {};
    for (const [k, v] of Object.entries(out.typedMetadata)) types[k] = { type: (v as { type: number }).type, subType: (v as { subType?: number }).subType };
    return {
      version: Number(out.metadata.version),
      metadata: out.metadata as unknown as Record<string, unknown>,
      types,
      tensors,
      names: infos.map((t) => t.name),
      tensorDataOffset: start,
    };
  } finally {
    file.remove();
  }
}

/** IEEE half bits → number (written out here, not shared with the writer). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** float32 values of an F32 tensor. */
export function f32Values(t: ReadTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const copy = t.bytes.slice(0, n * 4);
  return new Float32Array(copy.buffer);
}

/** Q8_0 blocks: per block its f16 scale (as a number) and its 32 int8 values. */
export function q8Blocks(t: ReadTensor): { scales: Float64Array; q: Int8Array } {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const blocks = n / 32;
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const scales = new Float64Array(blocks);
  const q = new Int8Array(n);
  for (let b = 0; b < blocks; b++) {
    scales[b] = halfToNumber(view.getUint16(b * 34, true));
    for (let j = 0; j < 32; j++) q[b * 32 + j] = view.getInt8(b * 34 + 2 + j);
  }
  return { scales, q };
}
