/**
 * Embedding lookup `table[ids]` whose gradient works on every tfjs backend.
 *
 * tfjs differentiates `tf.gather` with `UnsortedSegmentSum`, a kernel the wasm backend does not
 * have, so training on wasm would fail. Here the gradient is written by hand:
 *   d table = sum over occurrences of each id of the incoming row gradient
 * computed either with `ScatterNd` (which sums duplicate indices on cpu, wasm and webgpu, in
 * O(ids x width) work) or, on webgl, whose ScatterNd loops over every update for every output
 * element, as a one-hot matrix product `onehot(ids)^T @ dy` (the cost of one LM-head matmul).
 *
 * The table may be stored as row chunks (see GPT2's `maxTensorBytes`): chunk k holds rows
 * [starts[k], starts[k] + rows_k). Each chunk gathers the ids that fall inside it (others are
 * clipped to a valid row and masked to zero) and the chunks' results are summed, so no tensor
 * as large as the whole table is ever made.
 *
 * Call it inside `tf.tidy` (or a gradient scope), which frees the helper tensors it makes.
 */
import * as tf from '@tensorflow/tfjs-core';

export type EmbeddingGradMode = 'auto' | 'scatter' | 'onehot';

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
  const useOneHot = mode === 'onehot' || (mode === 'auto' && tf.getBackend() === 'webgl');
  const width = chunks[0].shape[1];

  // Per chunk: the local row of each id (clipped into range) and whether the id lives there.
  const locate = (k: number, idsK: tf.Tensor1D): { local: tf.Tensor1D; inside: tf.Tensor2D | null } => {
    const rows = chunks[k].shape[0];
    if (chunks.length === 1) return { local: idsK, inside: null };
    const shifted = tf.sub(idsK, tf.scalar(starts[k], 'int32'));
    const local = tf.minimum(tf.maximum(shifted, tf.scalar(0, 'int32')), tf.scalar(rows - 1, 'int32'));
    const inside = tf.cast(
      tf.logicalAnd(tf.greaterEqual(shifted, tf.scalar(0, 'int32')), tf.less(shifted, tf.scalar(rows, 'int32'))),
      'float32',
    );
    return { local: local as tf.Tensor1D, inside: tf.expandDims(inside, 1) as tf.Tensor2D };
  };

  const lookup = tf.customGrad((...args: unknown[]) => {
    const tables = args.slice(0, chunks.length) as tf.Tensor2D[];
    const save = args[chunks.length] as tf.GradSaveFunc;
    // The backward pass runs after the caller's scopes have freed their intermediates: the ids
    // must be saved through the tape, not captured.
    save([idsInt]);
    const parts = tables.map((table, k) => {
      const { local, inside } = locate(k, idsInt);
      const rows = tf.gather(table, local);
      return inside === null ? rows : tf.mul(rows, inside);
    });
    const value = (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor2D;
    const gradFunc = (dy: tf.Tensor2D, saved: tf.Tensor[]): tf.Tensor[] =>
      chunks.map((chunk, k) => {
        const { local, inside } = locate(k, saved[0] as tf.Tensor1D);
        const rows = chunk.shape[0];
        const g = inside === null ? dy : tf.mul(dy, inside);
        if (useOneHot && rows === 1) return tf.sum(g, 0, true); // tf.oneHot needs depth >= 2
        if (useOneHot) {
          // onehot(local) [n, rows]; masked-out ids contribute g = 0 whatever row they point to.
          return tf.matMul(tf.oneHot(local, rows, 1, 0, 'float32'), g, true, false);
        }
        return tf.scatterND(tf.expandDims(local, 1), g, [rows, width]);
      });
    return { value, gradFunc };
  });

  return lookup(...chunks) as tf.Tensor2D;
}
