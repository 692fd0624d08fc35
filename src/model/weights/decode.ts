/**
 * Little-endian float bytes (as safetensors and torch store them) to Float32Array.
 * Every function copies (a tensor inside a file or zip entry can start at an offset that is not a
 * multiple of the element size, and a typed-array view there throws a RangeError), except
 * `floatsSharing`, which views float32 data in place when it can.
 */
import { DTYPE_SIZE, type FloatDType } from './types';

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfBitsTable: Uint32Array | null = null;

/** float32 bit patterns of all 65536 float16 values, built once (256 KiB). */
function halfToFloatBits(): Uint32Array {
  if (halfBitsTable) return halfBitsTable;
  const table = new Uint32Array(65536);
  const asFloat = new Float32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) {
      // Zero or subnormal: frac * 2^-24 is exact in float32.
      asFloat[h] = frac * 2 ** -24;
      table[h] |= sign;
    } else if (exp === 31) {
      table[h] = sign | 0x7f800000 | (frac << 13); // inf, or NaN keeping its payload
    } else {
      table[h] = sign | ((exp - 15 + 127) << 23) | (frac << 13);
    }
  }
  halfBitsTable = table;
  return table;
}

/** One float16 bit pattern as a number. */
export function halfToFloat(h: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = halfToFloatBits()[h & 0xffff];
  return f[0];
}

/** One bfloat16 bit pattern as a number. */
export function bfloat16ToFloat(h: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = (h & 0xffff) << 16;
  return f[0];
}

/** Reads `bytes.length / 2` little-endian uint16 values into a fresh array. */
function readUint16LE(bytes: Uint8Array): Uint16Array {
  if (littleEndianHost) return new Uint16Array(bytes.slice().buffer);
  const out = new Uint16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

/** Decodes little-endian float bytes of `dtype` into a new Float32Array. */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDType): Float32Array {
  const size = DTYPE_SIZE[dtype];
  if (bytes.length % size !== 0) {
    throw new Error(`${dtype} data of ${bytes.length} bytes is not a whole number of ${size}-byte elements`);
  }
  const n = bytes.length / size;
  switch (dtype) {
    case 'F32': {
      if (littleEndianHost) return new Float32Array(bytes.slice().buffer);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      if (littleEndianHost) {
        out.set(new Float64Array(bytes.slice().buffer));
      } else {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      }
      return out;
    }
    case 'F16': {
      const table = halfToFloatBits();
      const halves = readUint16LE(bytes);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = table[halves[i]];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const halves = readUint16LE(bytes);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = halves[i] << 16;
      return out;
    }
  }
}

/**
 * Like `decodeFloats`, but little-endian F32 bytes at a 4-aligned offset come back as a view of
 * the same buffer, without a copy: for a model's weights on their way to the backend, which
 * copies them once more anyway. The caller must not change `bytes` while the view is in use.
 */
export function floatsSharing(bytes: Uint8Array, dtype: FloatDType): Float32Array {
  if (dtype === 'F32' && littleEndianHost && bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  return decodeFloats(bytes, dtype);
}

/** Float32Array as little-endian bytes (a copy). */
export function encodeFloat32LE(data: Float32Array): Uint8Array {
  if (littleEndianHost) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}
