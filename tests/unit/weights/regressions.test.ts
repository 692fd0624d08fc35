/**
 * Inputs that once broke the readers, kept as named cases. Each failed with a RangeError
 * ("Maximum call stack size exceeded") instead of a clear Error.
 */
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readCheckpointTensors, readTorchStateDict, type RawTensor } from '../../../src/model/weights';
import { f32Bytes, PickleWriter, rawSafetensors, storedZip } from './builders';

const DEPTH = 200_000;
const deepJsonArray = '['.repeat(DEPTH) + ']'.repeat(DEPTH);

/** [[[...]]] nested `depth` lists deep, on the pickle stack. */
function deepList(p: PickleWriter, depth: number): PickleWriter {
  for (let i = 0; i < depth; i++) p.emptyList();
  for (let i = 1; i < depth; i++) p.append();
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('regressions: deeply nested values in error messages', () => {
  it('safetensors dtype nested 200000 levels deep (the message used JSON.stringify)', () => {
    const file = rawSafetensors(`{"x":{"dtype":${deepJsonArray},"shape":[],"data_offsets":[0,0]}}`);
    let error: unknown;
    try {
      parseSafetensors(file);
    } catch (e) {
      error = e;
    }
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect((error as Error).message).toBe("safetensors: tensor 'x' has unknown dtype [[[[…]]]]");
  });

  it('safetensors shape and data_offsets nested deep', () => {
    expect(() => parseSafetensors(rawSafetensors(`{"x":{"dtype":"F32","shape":${deepJsonArray},"data_offsets":[0,0]}}`))).toThrow(
      /invalid shape \[\[\[\[…\]\]\]\]$/,
    );
    expect(() => parseSafetensors(rawSafetensors(`{"x":{"dtype":"F32","shape":[],"data_offsets":[0,${deepJsonArray}]}}`))).toThrow(
      /invalid data_offsets \[0,\[\[\[…\]\]\]\]$/,
    );
  });

  it('torch persistent id nested 200000 levels deep', async () => {
    const pkl = deepList(new PickleWriter().proto(2), DEPTH).binpersid().stop().bytes();
    const error = await rejection(readTorchStateDict(storedZip({ 'archive/data.pkl': pkl })));
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect((error as Error).message).toBe('torch: unexpected persistent id [[[[…]]]]');
  });

  it('shard index mapping a tensor to a deeply nested value', async () => {
    const index = new TextEncoder().encode(`{"weight_map":{"x":${deepJsonArray}}}`);
    await expect(readCheckpointTensors({ 'model.safetensors.index.json': index })).rejects.toThrow(/maps 'x' to \[\[\[\[…\]\]\]\], not a file name$/);
  });
});

describe('regressions: _rebuild_from_type_v2', () => {
  /** data.pkl: {'w': _rebuild_from_type_v2(func, torch.Tensor, args, None)} over one float storage of 3 */
  function rebuildFromType(writeFuncAndArgs: (p: PickleWriter) => void): Uint8Array {
    const p = new PickleWriter().proto(2).emptyDict().str('w');
    p.global('torch._tensor', '_rebuild_from_type_v2');
    writeFuncAndArgs(p);
    return p.reduce().setitem().stop().bytes();
  }
  const tensorArgs = (p: PickleWriter) => {
    p.mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(3).tuple(5).binpersid();
    p.int(1).intTuple([2]).intTuple([1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6);
  };
  const storage = { 'archive/data/0': f32Bytes([1, 2, 3]) };

  it('reads a tensor saved through _rebuild_from_type_v2(_rebuild_tensor_v2, ...)', async () => {
    const pkl = rebuildFromType((p) => {
      p.mark().global('torch._utils', '_rebuild_tensor_v2').global('torch', 'Tensor');
      tensorArgs(p);
      p.none().tuple(4);
    });
    const w = (await readTorchStateDict(storedZip({ 'archive/data.pkl': pkl, ...storage }))).w as RawTensor;
    expect(w.shape).toEqual([2]);
    expect(Array.from(w.data)).toEqual([2, 3]);
  });

  it('refuses _rebuild_from_type_v2 nested 100000 levels deep (it recursed once per level)', async () => {
    const depth = 100_000;
    const pkl = rebuildFromType((p) => {
      p.put(0).global('torch', 'Tensor').put(1).raw(0x30); // memoize both, keep the stack clean
      for (let i = 0; i < depth; i++) p.mark().get(0).get(1);
      p.mark().global('torch._utils', '_rebuild_tensor_v2').get(1);
      tensorArgs(p);
      p.none().tuple(4);
      for (let i = 0; i < depth; i++) p.none().tuple(4);
    });
    const error = await rejection(readTorchStateDict(storedZip({ 'archive/data.pkl': pkl, ...storage })));
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
    expect((error as Error).message).toBe('torch: _rebuild_from_type_v2 of torch._tensor._rebuild_from_type_v2 is not supported, only of _rebuild_tensor_v2');
  });
});
