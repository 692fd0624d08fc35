/**
 * pytorch_model.bin, as `torch.save` has written it since torch 1.6: a zip whose single top folder
 * (`archive/`, or the file's own name in older versions) holds `data.pkl`, the pickled state dict,
 * and `data/<key>`, one raw little-endian storage per key. The pickle refers to storages through
 * persistent ids `('storage', torch.FloatStorage, key, location, numel)` and builds each tensor
 * with `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`; several tensors may
 * view one storage (GPT-2's lm_head.weight and wte.weight).
 */
import { decodeFloats } from './decode';
import { describeValue } from './describe';
import { BASE_GLOBALS, PickleGlobal, unpickle } from './pickle';
import { listZipEntries, readZipEntry, type ReadZipEntryOptions, type ZipFileEntry } from './zip-entries';
import {
  DTYPE_SIZE,
  formatShape,
  isFloatDType,
  setOwn,
  shapeSize,
  type CheckpointTensor,
  type DType,
} from './types';

/** torch storage classes and the element type of their bytes. */
const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A storage named by the pickle, read from `data/<key>` afterwards. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}

/** A tensor as the pickle describes it: a strided view of a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function countTuple(x: unknown, what: string): number[] {
  if (!Array.isArray(x) || !x.every(isCount)) {
    throw new Error(`torch: tensor ${what} ${describeValue(x)} is not a tuple of non-negative integers`);
  }
  return x.slice();
}


/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])` */
function rebuildTensor(args: readonly unknown[]): TensorRef {
  if (args.length < 4) throw new Error(`torch: _rebuild_tensor_v2 got ${args.length} arguments, expected at least 4`);
  const [storage, offset] = args;
  if (!(storage instanceof StorageRef)) throw new Error('torch: _rebuild_tensor_v2 storage is not a persistent storage');
  if (!isCount(offset)) throw new Error(`torch: tensor storage offset ${describeValue(offset)} is invalid`);
  const shape = countTuple(args[2], 'size');
  const stride = countTuple(args[3], 'stride');
  if (shape.length !== stride.length) {
    throw new Error(`torch: tensor size ${formatShape(shape)} and stride ${formatShape(stride)} differ in rank`);
  }
  const numel = shapeSize(shape);
  if (numel > 0) {
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
    if (last >= storage.numel) {
      throw new Error(
        `torch: tensor of size ${formatShape(shape)}, stride ${formatShape(stride)} at offset ${offset} reaches past its storage '${storage.key}' of ${storage.numel} elements`,
      );
    }
    // Views that repeat elements (expand) are never in a state dict, and refusing them bounds
    // every tensor by its storage, so a damaged file cannot ask for a giant allocation.
    if (numel > storage.numel) {
      throw new Error(`torch: tensor of size ${formatShape(shape)} has more elements than its storage '${storage.key}' (${storage.numel})`);
    }
  }
  return new TensorRef(storage, offset, shape, stride);
}

function rebuildParameter(args: readonly unknown[]): TensorRef {
  const [data] = args;
  if (!(data instanceof TensorRef)) throw new Error('torch: _rebuild_parameter of something that is not a tensor');
  return data;
}

function notCallable(name: string) {
  return () => {
    throw new Error(`torch: ${name} is only a type marker here and cannot be called`);
  };
}

const TORCH_GLOBALS = new Map<string, (args: readonly unknown[]) => unknown>([
  ...BASE_GLOBALS,
  ['torch._utils._rebuild_tensor_v2', rebuildTensor],
  ['torch._utils._rebuild_parameter', rebuildParameter],
  ['torch._utils._rebuild_parameter_with_state', rebuildParameter],
  [
    'torch._tensor._rebuild_from_type_v2',
    // (func, new_type, args, state): tensors saved with a Python subclass or a __dict__. Only
    // _rebuild_tensor_v2 as func: anything that could call back into this would recurse once per
    // level of nesting in the file and overflow the stack.
    (args) => {
      const [func, , funcArgs] = args;
      if (!(func instanceof PickleGlobal) || func.qualifiedName !== 'torch._utils._rebuild_tensor_v2' || !Array.isArray(funcArgs)) {
        throw new Error(`torch: _rebuild_from_type_v2 of ${describeValue(func)} is not supported, only of _rebuild_tensor_v2`);
      }
      const tensor = func.call(funcArgs);
      if (!(tensor instanceof TensorRef)) throw new Error('torch: _rebuild_from_type_v2 did not produce a tensor');
      return tensor;
    },
  ],
  ['torch.Tensor', notCallable('torch.Tensor')],
  ['torch.nn.parameter.Parameter', notCallable('torch.nn.parameter.Parameter')],
  ...Object.keys(STORAGE_DTYPES).map((name): [string, () => never] => [`torch.${name}`, notCallable(`torch.${name}`)]),
]);

function storageLoader(): (pid: unknown) => StorageRef {
  const storages = new Map<string, StorageRef>();
  return (pid) => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      throw new Error(`torch: unexpected persistent id ${describeValue(pid)}`);
    }
    const [, type, key, , numel] = pid;
    const typeName = type instanceof PickleGlobal && type.qualifiedName.startsWith('torch.') ? type.qualifiedName.slice(6) : '';
    const dtype = Object.prototype.hasOwnProperty.call(STORAGE_DTYPES, typeName) ? STORAGE_DTYPES[typeName] : undefined;
    if (!dtype) throw new Error(`torch: unsupported storage type ${describeValue(type)}`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`torch: invalid storage key ${describeValue(key)}`);
    if (!isCount(numel)) throw new Error(`torch: storage '${key}' has invalid size ${describeValue(numel)}`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== dtype || known.numel !== numel) {
        throw new Error(`torch: storage '${key}' is described twice with different types or sizes`);
      }
      return known;
    }
    const storage = new StorageRef(key, dtype, numel);
    storages.set(key, storage);
    return storage;
  };
}

/** True when `stride` is the row-major stride of `shape` (dims of size 1 may have any stride). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

type Units = Uint8Array | Uint16Array | Uint32Array;

/** Copies a strided view of `src` into `out` in row-major order. */
function gatherStrided(src: Units, offset: number, shape: readonly number[], stride: readonly number[], out: Units): void {
  if (out.length === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = src[offset];
    return;
  }
  const index = new Array<number>(rank).fill(0);
  const innerSize = shape[rank - 1];
  const innerStride = stride[rank - 1];
  let base = offset;
  let o = 0;
  while (o < out.length) {
    for (let j = 0, p = base; j < innerSize; j++, p += innerStride) out[o++] = src[p];
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += stride[d];
      if (index[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** Views a fresh buffer as unsigned units of 1, 2 or 4 bytes; 8-byte elements are 2 units each. */
function unitsOf(buffer: ArrayBuffer, elementSize: number): Units {
  if (elementSize === 1) return new Uint8Array(buffer);
  if (elementSize === 2) return new Uint16Array(buffer);
  return new Uint32Array(buffer);
}

interface DecodedStorage {
  ref: StorageRef;
  /** Float storages decoded to float32; others raw bytes. */
  floats: Float32Array | null;
  bytes: Uint8Array | null;
}

function materialize(tensor: TensorRef, storage: DecodedStorage): CheckpointTensor {
  const { shape, stride, offset } = tensor;
  const numel = shapeSize(shape);
  const contiguous = isContiguous(shape, stride);
  if (storage.floats) {
    const src = storage.floats;
    if (contiguous && offset === 0 && numel === src.length) return { shape: shape.slice(), data: src }; // shares, as torch does
    if (contiguous) return { shape: shape.slice(), data: src.slice(offset, offset + numel) };
    const data = new Float32Array(numel);
    gatherStrided(new Uint32Array(src.buffer, src.byteOffset, src.length), offset, shape, stride, new Uint32Array(data.buffer));
    return { shape: shape.slice(), data };
  }
  const dtype = storage.ref.dtype as Exclude<DType, 'F64' | 'F32' | 'F16' | 'BF16'>;
  const size = DTYPE_SIZE[dtype];
  const src = storage.bytes as Uint8Array;
  if (contiguous) return { shape: shape.slice(), dtype, bytes: src.slice(offset * size, (offset + numel) * size) };
  const bytes = new Uint8Array(numel * size);
  const unitsPerElement = size === 8 ? 2 : 1;
  const unitSize = size / unitsPerElement;
  const scale = (xs: readonly number[]) => xs.map((x) => x * unitsPerElement);
  gatherStrided(
    unitsOf(src.buffer as ArrayBuffer, unitSize),
    offset * unitsPerElement,
    unitsPerElement === 2 ? [...shape, 2] : shape,
    unitsPerElement === 2 ? [...scale(stride), 1] : stride,
    unitsOf(bytes.buffer, unitSize),
  );
  return { shape: shape.slice(), dtype, bytes };
}

/** PROTO 2, then LONG1 of torch's legacy magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/**
 * Reads a torch zip state dict. Float tensors come back as Float32Array (a tensor covering its
 * whole storage contiguously shares that storage's array with any other such tensor);
 * Byte/Bool/Long/... tensors come back as raw bytes. `options.verifyCrc: false` skips the
 * CRC-32 check of each entry (~4 ms per MB).
 */
export async function readTorchStateDict(
  bytes: Uint8Array,
  options: ReadZipEntryOptions = {},
): Promise<Record<string, CheckpointTensor>> {
  if (LEGACY_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new Error(
      'torch: this is the legacy (pre-1.6) torch.save format, which is not supported: re-save it with a current torch or convert it to model.safetensors',
    );
  }
  if (!looksLikeZip(bytes)) {
    throw new Error('torch: not a zip archive: pytorch_model.bin should be a torch.save zip (torch >= 1.6)');
  }
  const read = async (entry: ZipFileEntry) => {
    try {
      return await readZipEntry(bytes, entry, options);
    } catch (e) {
      throw new Error(`torch: ${(e as Error).message}`);
    }
  };
  let files: Map<string, ZipFileEntry>;
  try {
    files = await listZipEntries(bytes);
  } catch (e) {
    throw new Error(`torch: ${(e as Error).message}`);
  }
  const pickles = [...files.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new Error(
      pickles.length === 0
        ? 'torch: zip has no <folder>/data.pkl: not a torch.save checkpoint'
        : `torch: zip has several data.pkl files (${pickles.join(', ')})`,
    );
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  const byteorder = files.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(await read(byteorder)).trim();
    if (order !== 'little') throw new Error(`torch: byteorder '${order}' is not supported, only little-endian`);
  }

  const stateDict = unpickle(await read(files.get(pickles[0]) as ZipFileEntry), {
    globals: TORCH_GLOBALS,
    persistentLoad: storageLoader(),
  });
  if (!(stateDict instanceof Map)) throw new Error('torch: data.pkl does not hold a dict: not a state dict');
  const tensors = new Map<string, TensorRef>();
  for (const [name, value] of stateDict) {
    if (typeof name !== 'string') throw new Error(`torch: state dict key ${describeValue(name)} is not a string`);
    if (!(value instanceof TensorRef)) throw new Error(`torch: state dict entry '${name}' is not a tensor: not a plain state dict`);
    tensors.set(name, value);
  }

  const storages = new Map<string, DecodedStorage>();
  for (const { storage: ref } of tensors.values()) {
    if (storages.has(ref.key)) continue;
    const entry = files.get(`${prefix}data/${ref.key}`);
    if (!entry) throw new Error(`torch: storage '${ref.key}' is missing from the zip (${prefix}data/${ref.key})`);
    const expected = ref.numel * DTYPE_SIZE[ref.dtype];
    if (entry.uncompressedSize !== expected) {
      throw new Error(
        `torch: storage '${ref.key}' should be ${ref.numel} ${ref.dtype} elements (${expected} bytes) but the zip entry has ${entry.uncompressedSize}`,
      );
    }
    const raw = await read(entry);
    storages.set(ref.key, {
      ref,
      floats: isFloatDType(ref.dtype) ? decodeFloats(raw, ref.dtype) : null,
      bytes: isFloatDType(ref.dtype) ? null : raw,
    });
  }

  const out: Record<string, CheckpointTensor> = {};
  for (const [name, tensor] of tensors) setOwn(out, name, materialize(tensor, storages.get(tensor.storage.key) as DecodedStorage));
  return out;
}
