/**
 * Embedding lookup `table[ids]` whose gradient works on every tfjs backend.
 *
 * tfjs differentiates `tf.gather` with `UnsortedSegmentSum`, a kernel the wasm backend does not
 * have, so training on wasm would fail. Here the gradient is written by hand:
 *   d table = sum over occurrences of each id of the incoming row gradient
 * computed with `ScatterNd` (which sums duplicate indices on cpu, wasm and webgpu, in
 * O(ids x width) work), or, on webgl, whose ScatterNd loops over every update for every output
 * element, by "slots" (O(ids² x width + rows x ids + rows x width), no product over the table):
 *   S     = E · dy,  E[i, j] = [ids_i = ids_j]           each id's summed rows, at every occurrence
 *   slot  = max_i (i + 1) · [ids_i = v]   for each row v  (0: the row is not picked)
 *   d table[v] = [0 ; S][slot_v]                          one gather, as cheap as an add
 * The one-hot product `onehot(ids)ᵀ · dy` ('onehot', the reference) costs as much as an LM-head
 * matmul; a program of our own looping over the ids for every element was 5x slower still.
 *
 * The table may be stored as row chunks (see GPT2's `maxTensorBytes`): chunk k holds rows
 * [starts[k], starts[k] + rows_k). Each chunk gathers the ids that fall inside it (others are
 * clipped to a valid row and masked to zero) and the chunks' results are summed, so no tensor
 * as large as the whole table is ever made.
 *
 * Call it inside `tf.tidy` (or a gradient scope), which frees the helper tensors it makes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addSlotRowsWebGL, embeddingOnWebGL, gatherRowsWebGL } from './embedding-webgl';
import { sumTensors } from './sum';
import { heapView, readableHeapView } from './wasm';

export type EmbeddingGradMode = 'auto' | 'scatter' | 'onehot' | 'slots';

/**
 * Where each id lives in chunk k: its local row (clipped into range) and, with several chunks,
 * a [n, 1] float mask of the ids that are inside it (null for a single table: all are).
 */
export function locateInChunk(
  chunks: readonly { shape: number[] }[],
  starts: number[],
  k: number,
  ids: tf.Tensor1D,
): { local: tf.Tensor1D; inside: tf.Tensor2D | null } {
  const rows = chunks[k].shape[0];
  if (chunks.length === 1) return { local: ids, inside: null };
  const shifted = tf.sub(ids, tf.scalar(starts[k], 'int32'));
  const local = tf.minimum(tf.maximum(shifted, tf.scalar(0, 'int32')), tf.scalar(rows - 1, 'int32'));
  const inside = tf.cast(
    tf.logicalAnd(tf.greaterEqual(shifted, tf.scalar(0, 'int32')), tf.less(shifted, tf.scalar(rows, 'int32'))),
    'float32',
  );
  return { local: local as tf.Tensor1D, inside: tf.expandDims(inside, 1) as tf.Tensor2D };
}

/** table[ids] across the chunks, with no gradient of its own: ids [n] int32 → [n, width]. */
export function lookupRows(chunks: tf.Tensor2D[], starts: number[], ids: tf.Tensor1D): tf.Tensor2D {
  if (chunks.length === 1 && embeddingOnWebGL()) return gatherRowsWebGL(chunks[0], ids);
  const parts = chunks.map((table, k) => {
    const { local, inside } = locateInChunk(chunks, starts, k, ids);
    const rows = tf.gather(table, local);
    return inside === null ? rows : tf.mul(rows, inside);
  });
  return sumTensors(parts) as tf.Tensor2D;
}

/**
 * The gradient of each chunk from the gradient dy [n, width] of the rows `ids` picked: rows of dy
 * summed per id, as one dense tensor per chunk.
 */
export function rowGradients(
  chunkShapes: readonly { shape: number[] }[],
  starts: number[],
  ids: tf.Tensor1D,
  dy: tf.Tensor2D,
  mode: EmbeddingGradMode = 'auto',
): tf.Tensor2D[] {
  const how = mode === 'auto' ? (tf.getBackend() === 'webgl' ? 'slots' : 'scatter') : mode;
  return chunkShapes.map((chunk, k) => {
    const { local, inside } = locateInChunk(chunkShapes, starts, k, ids);
    const [rows, width] = chunk.shape;
    const g = (inside === null ? dy : tf.mul(dy, inside)) as tf.Tensor2D;
    if (how !== 'scatter' && rows === 1) return tf.sum(g, 0, true) as tf.Tensor2D; // tf.oneHot needs depth >= 2
    // Masked-out ids contribute g = 0 whatever row they were clipped to.
    if (how === 'onehot') return tf.matMul(oneHotFloat(local, rows), g, true, false);
    if (how === 'slots') return slotGradient(local, g, rows);
    return tf.scatterND(tf.expandDims(local, 1), g, [rows, width]) as tf.Tensor2D;
  });
}

/**
 * Σ of the rows g [n, width] per id, as a dense [rows, width] tensor, by slots (see the top of
 * this file). A masked-out id clipped onto row v still carries the right sum in S, so whichever
 * occurrence a row's slot names, the row gets every in-chunk contribution exactly once.
 */
function slotGradient(ids: tf.Tensor1D, g: tf.Tensor2D, rows: number): tf.Tensor2D {
  const { padded, slot } = slotSums(ids, g, rows);
  return tf.gather(padded, tf.cast(slot, 'int32')) as tf.Tensor2D;
}

/** [0 ; S] [n + 1, width] and each row's slot [rows] (float, 0 .. n) of the slots method. */
function slotSums(ids: tf.Tensor1D, g: tf.Tensor2D, rows: number): { padded: tf.Tensor2D; slot: tf.Tensor1D } {
  const n = ids.shape[0];
  const same = tf.cast(tf.equal(tf.expandDims(ids, 1), tf.expandDims(ids, 0)), 'float32');
  const sums = tf.matMul(same, g); // [n, width]: row i = Σ_j [ids_j = ids_i] g_j
  const position = tf.reshape(tf.range(1, n + 1, 1, 'float32'), [n, 1]);
  const slot = tf.max(tf.mul(oneHotFloat(ids, rows), position), 0) as tf.Tensor1D;
  return { padded: tf.concat([tf.zeros([1, g.shape[1]]), sums], 0) as tf.Tensor2D, slot };
}

/**
 * rows of the (chunked) table for each id: ids [n] int32 → [n, width].
 * `starts[k]` is the first row held by `chunks[k]`; chunks are consecutive and cover the table.
 */
export function embeddingLookup(
  chunks: tf.Tensor2D[],
  starts: number[],
  ids: tf.Tensor1D,
  mode: EmbeddingGradMode = 'auto',
): tf.Tensor2D {
  if (chunks.length === 0 || chunks.length !== starts.length) {
    throw new Error('embeddingLookup: need one start row per chunk');
  }
  const idsInt = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
  const lookup = tf.customGrad((...args: unknown[]) => {
    const tables = args.slice(0, chunks.length) as tf.Tensor2D[];
    const save = args[chunks.length] as tf.GradSaveFunc;
    // The backward pass runs after the caller's scopes have freed their intermediates: the ids
    // must be saved through the tape, not captured.
    save([idsInt]);
    const value = lookupRows(tables, starts, idsInt);
    // tfjs runs a customGrad's gradFunc outside any scope of its own: without this tidy its
    // intermediates would live until the whole backward pass ends.
    const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] => tf.tidy(() => rowGradients(chunks, starts, saved[0] as tf.Tensor1D, dy, mode));
    return { value, gradFunc };
  });

  return lookup(...chunks) as tf.Tensor2D;
}

/**
 * grads[k] += the gradient of chunk k from dy [n, width] for the rows `ids` picked; returns the
 * chunks' gradients (`grads` itself is consumed). On wasm the rows are added into the existing
 * tensors in place (n rows of work, no [rows, width] tensor); on WebGL (one table) by one packed
 * pass over the gradient; elsewhere through rowGradients and a sum.
 */
export function addRowGradients(grads: tf.Tensor2D[], starts: number[], ids: tf.Tensor1D, dy: tf.Tensor2D): tf.Tensor2D[] {
  const views = grads.map((g) => heapView(g));
  const from = readableHeapView(dy);
  if (from !== null && views.every((v) => v !== null)) {
    const width = dy.shape[1];
    const idValues = ids.dataSync();
    // Taken after dataSync (which may allocate): views stay valid until the next allocation.
    const into = grads.map((g) => heapView(g) as Float32Array);
    const src = readableHeapView(dy) as Float32Array;
    for (let r = 0; r < idValues.length; r++) {
      const id = idValues[r];
      let k = starts.length - 1;
      while (k > 0 && starts[k] > id) k--;
      const row = id - starts[k];
      if (row < 0 || row >= grads[k].shape[0]) throw new Error(`token id ${id} is outside the embedding`);
      const out = into[k];
      const at = row * width;
      const base = r * width;
      for (let c = 0; c < width; c++) out[at + c] += src[base + c];
    }
    return grads;
  }
  const sums = tf.tidy(() => {
    if (grads.length === 1 && embeddingOnWebGL()) {
      const { padded, slot } = slotSums(ids, dy, grads[0].shape[0]);
      return [addSlotRowsWebGL(grads[0], padded, slot)];
    }
    return rowGradients(grads, starts, ids, dy).map((g, k) => tf.add(grads[k], g) as tf.Tensor2D);
  });
  tf.dispose(grads);
  return sums;
}

/**
 * onehot(ids, depth) as float32. tfjs-backend-wasm 4.22's OneHot writes int32 bits whatever
 * dtype it is asked for (a float32 "1" reads as 1.4e-45), so take int32 and cast.
 */
export function oneHotFloat(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids, depth), 'float32') as tf.Tensor2D;
}
