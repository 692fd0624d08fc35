/**
 * Tensors as the weight readers hand them out: plain bytes decoded into typed arrays, no tfjs.
 * Float tensors (F64/F32/F16/BF16 on disk) become Float32Array; everything else (uint8 masks,
 * int64 counters, bools) stays raw bytes, because GPT-2 only ever ignores such buffers.
 */

/** A float tensor, row-major (C order), decoded to float32. */
export interface RawTensor {
  shape: number[];
  data: Float32Array;
}

/** Element types the readers understand, named as in the safetensors format. */
export type FloatDType = 'F64' | 'F32' | 'F16' | 'BF16';
export type BufferDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'I32'
  | 'U32'
  | 'I64'
  | 'U64';
export type DType = FloatDType | BufferDType;

/** A non-float tensor kept as its raw little-endian bytes, row-major. */
export interface BufferTensor {
  shape: number[];
  dtype: BufferDType;
  bytes: Uint8Array;
}

/** Any tensor a checkpoint file can hold. */
export type CheckpointTensor = RawTensor | BufferTensor;

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  I32: 4,
  U32: 4,
  I64: 8,
  U64: 8,
};

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';
}

export function isFloatTensor(t: CheckpointTensor): t is RawTensor {
  return 'data' in t && t.data instanceof Float32Array;
}

/** Number of elements of a shape; [] (a scalar) has one. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Sets record[key] as an own property, even for a key like '__proto__' that `=` would not store. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
