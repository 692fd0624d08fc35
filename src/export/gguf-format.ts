/**
 * The bytes of a GGUF file (version 3, as llama.cpp's gguf-py writes them), little-endian:
 *
 *   "GGUF" u32 version=3  u64 tensor_count  u64 kv_count
 *   kv_count × (string key, u32 value_type, value)              string = u64 length + UTF-8
 *   tensor_count × (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset)
 *   zero padding to `general.alignment` (32), then the data section: each tensor at its offset
 *   (from the data section's start, a multiple of the alignment), zero-padded between tensors.
 *
 * `ne` lists dimensions innermost first (ggml's order): a row-major [rows, cols] matrix is
 * ne = [cols, rows]. Q8_0 stores each row as blocks of 32 values: an f16 scale d = amax / 127
 * and 32 int8 values round(x / d), rounded half away from zero (ggml's quantize_row_q8_0_ref).
 */

export const GGUF_ALIGNMENT = 32;

/** gguf value types. */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
type T = typeof GgufType;

/** ggml tensor types written here. */
export const GGML_TYPE_F32 = 0;
export const GGML_TYPE_Q8_0 = 8;
export type GgmlType = typeof GGML_TYPE_F32 | typeof GGML_TYPE_Q8_0;

export const Q8_0_BLOCK = 32;
/** Bytes of one Q8_0 block: f16 scale + 32 int8. */
export const Q8_0_BLOCK_BYTES = 34;

export type GgufValue =
  | { type: T['UINT32'] | T['INT32'] | T['FLOAT32']; value: number }
  | { type: T['BOOL']; value: boolean }
  | { type: T['STRING']; value: string }
  | { type: T['ARRAY']; itemType: T['STRING']; value: readonly string[] }
  | { type: T['ARRAY']; itemType: T['INT32']; value: readonly number[] };

export interface GgufTensorInfo {
  name: string;
  /** innermost first */
  ne: number[];
  type: GgmlType;
}

/** Bytes of a tensor's data. */
export function tensorBytes(info: GgufTensorInfo): number {
  const n = info.ne.reduce((a, b) => a * b, 1);
  if (info.type === GGML_TYPE_F32) return n * 4;
  if (info.ne[0] % Q8_0_BLOCK !== 0) throw new Error(`gguf: ${info.name}: a Q8_0 row of ${info.ne[0]} is not a multiple of ${Q8_0_BLOCK}`);
  return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
}

export function alignUp(n: number, alignment = GGUF_ALIGNMENT): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Growable little-endian byte writer for the header. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`gguf: ${v} is not a u64`);
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  padTo(alignment: number): void {
    const n = alignUp(this.length, alignment) - this.length;
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case GgufType.UINT32:
      return w.u32(v.value);
    case GgufType.INT32:
      return w.i32(v.value);
    case GgufType.FLOAT32:
      return w.f32(v.value);
    case GgufType.BOOL:
      return w.u8(v.value ? 1 : 0);
    case GgufType.STRING:
      return w.string(v.value);
    case GgufType.ARRAY:
      w.u32(v.itemType);
      w.u64(v.value.length);
      if (v.itemType === GgufType.STRING) for (const s of v.value) w.string(s);
      else for (const n of v.value) w.i32(n);
      return;
  }
}

export interface GgufLayout {
  /** Header, kv pairs, tensor infos and the padding before the data section. */
  header: Uint8Array;
  /** Offset of each tensor from the data section's start. */
  offsets: number[];
  /** Size of the whole file. */
  totalBytes: number;
}

/** The header of a GGUF v3 file holding `tensors` (in this order) and `kv`. */
export function ggufHeader(kv: ReadonlyArray<[string, GgufValue]>, tensors: readonly GgufTensorInfo[]): GgufLayout {
  const w = new ByteWriter();
  w.u32(0x46554747); // "GGUF" read as a little-endian u32
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kv.length);
  for (const [key, value] of kv) {
    w.string(key);
    w.u32(value.type);
    writeValue(w, value);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.ne.length);
    for (const d of t.ne) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + tensorBytes(t));
  }
  w.padTo(GGUF_ALIGNMENT);
  const header = w.bytes();
  const last = tensors.length ? offsets[offsets.length - 1] + tensorBytes(tensors[tensors.length - 1]) : 0;
  return { header, offsets, totalBytes: header.length + last };
}

/** float32 → IEEE half (round to nearest even), as numpy's astype(float16) and ggml's FP32_TO_FP16. */
export function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, as it should (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** IEEE half → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** ggml's roundf: half away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Q8_0 blocks of `values` (length a multiple of 32), written into `out` (34 bytes a block). */
export function quantizeQ8_0(values: Float32Array, out: Uint8Array = new Uint8Array((values.length / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES)): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) throw new Error(`Q8_0: ${values.length} values are not whole blocks of ${Q8_0_BLOCK}`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const q = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
  for (let b = 0, at = 0; b < values.length; b += Q8_0_BLOCK, at += Q8_0_BLOCK_BYTES) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(values[b + j]));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    view.setUint16(at, toHalf(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) q[at + 2 + j] = roundHalfAway(Math.fround(values[b + j] * id));
  }
  return out;
}

/** float32 values as little-endian bytes (a copy). */
export function float32Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}
