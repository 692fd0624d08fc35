/**
 * What training needs from tfjs-backend-wasm beyond its kernels: a memory-frugal Identity, and
 * writable views of a tensor's bytes in the wasm heap for in-place updates.
 *
 * Why: the wasm heap only grows (up to 4 GiB) and fragments, so every transient copy of a large
 * tensor costs heap for the rest of the session.
 *
 * - tfjs saves each tensor a gradient needs (a matMul's operands, an activation) through
 *   `engine.clone`, i.e. the Identity kernel. The cpu and webgl backends share the data there
 *   (a reference count); tfjs-backend-wasm copies it, so a training step held a second copy of
 *   every weight matrix and every saved activation until the backward pass ended (for gpt2 that
 *   is ~0.5 GiB of weights alone). `useSharedWasmIdentity` registers an Identity that shares, as
 *   the other backends do. Tensors are immutable in tfjs, so sharing is safe; the only code that
 *   writes into a tensor's storage is `heapView`'s callers, which refuse shared data.
 * - `heapView` hands out a Float32Array over a float32 tensor's bytes in the heap when nothing
 *   else references them, so the optimizer and gradient accumulation can update in place
 *   instead of allocating a new tensor (and freeing the old one) per variable and step.
 *   The wasm backend caches XNNPACK operators holding prepacked copies of matMul operands, keyed
 *   by the operand's id on the C++ side: after writing into a tensor a matMul may have used (a
 *   weight), call `renewWasmId`, or products would go on using the old values.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmData {
  /** The tensor's id on the C++ side. */
  id: number;
  memoryOffset: number;
  refCount: number;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackend {
  wasm: { tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, memoryOffset: number): void } };
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmData | undefined; has(dataId: object): boolean };
  incRef(dataId: object): void;
  refCount(dataId: object): number;
  typedArrayFromHeap(t: { shape: number[]; dtype: tf.DataType; dataId: object }): Float32Array | Int32Array | Uint8Array;
}

function wasmBackend(): WasmBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmBackend>;
  return typeof b.typedArrayFromHeap === 'function' && b.dataIdMap !== undefined ? (b as WasmBackend) : null;
}

/** Identity that returns the input's data with one more reference, as tfjs-backend-cpu's does. */
const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  (backend as unknown as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Make the wasm backend's Identity share data instead of copying it (see above). Idempotent and
 * cheap: call it before any work on wasm. Does nothing until tfjs-backend-wasm is loaded (it
 * registers its own kernels when imported, which would replace one registered earlier).
 */
export function useSharedWasmIdentity(): void {
  const current = tf.getKernel('Identity', 'wasm');
  if (!current || current.kernelFunc === sharedIdentity) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: sharedIdentity });
}

/**
 * A writable view of `t`'s float32 storage in the wasm heap, or null when the active backend is
 * not wasm, `t` is not float32, or its data is shared with another tensor (writing would change
 * that one too). The view is valid until the next allocation on the backend (a growing heap
 * replaces its buffer): take the views, write, and allocate nothing in between.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  const b = wasmBackend();
  if (b === null || t.dtype !== 'float32' || t.isDisposed) return null;
  if (!b.dataIdMap.has(t.dataId) || b.refCount(t.dataId) !== 1) return null;
  return b.typedArrayFromHeap(t) as Float32Array;
}

/** Whether `heapView` can work at all on the active backend (wasm). */
export function inPlaceUpdates(): boolean {
  return wasmBackend() !== null;
}

/** A read-only view of a float32 tensor's heap bytes even when shared (never write through it); null off wasm. */
export function readableHeapView(t: tf.Tensor): Float32Array | null {
  const b = wasmBackend();
  if (b === null || t.dtype !== 'float32' || t.isDisposed || !b.dataIdMap.has(t.dataId)) return null;
  return b.typedArrayFromHeap(t) as Float32Array;
}

/**
 * After `t`'s bytes were written in place: register them on the wasm side under a new id. The
 * backend drops the operators it cached for the old id (as when a tensor is disposed), so the
 * next matMul with `t` packs the new values. The memory itself stays where it is.
 */
export function renewWasmId(t: tf.Tensor): void {
  const b = wasmBackend();
  const data = b?.dataIdMap.get(t.dataId);
  if (!b || !data) throw new Error('renewWasmId: not a tensor of the wasm backend');
  b.wasm.tfjs.disposeData(data.id);
  const id = b.dataIdNextNumber++;
  data.id = id;
  b.wasm.tfjs.registerTensor(id, t.size, data.memoryOffset);
}
