import { describe, expect, it } from 'vitest';
import { parseSafetensors, writeSafetensors } from '../../../src/model/weights';
import { isFloatTensor } from '../../../src/model/weights/types';

const tensors = [
  { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  { name: 'b', shape: [4], data: Float32Array.from([-1, 0.5, 7, 8]) },
];

describe('parseSafetensors with shareBuffer', () => {
  it('views aligned float32 tensors in the file, with the values a copying parse gives', () => {
    const file = writeSafetensors(tensors);
    const copied = parseSafetensors(file).tensors;
    const shared = parseSafetensors(file, { shareBuffer: true }).tensors;
    for (const name of ['a', 'b']) {
      const c = copied[name];
      const s = shared[name];
      if (!isFloatTensor(c) || !isFloatTensor(s)) throw new Error('float tensors expected');
      expect(Array.from(s.data)).toEqual(Array.from(c.data));
      expect(s.shape).toEqual(c.shape);
      expect(s.data.buffer).toBe(file.buffer);
      expect(c.data.buffer).not.toBe(file.buffer);
    }
  });

  it('copies when the file sits at an offset that is not a multiple of 4', () => {
    const file = writeSafetensors(tensors);
    const padded = new Uint8Array(file.byteLength + 1);
    padded.set(file, 1);
    const shared = parseSafetensors(padded.subarray(1), { shareBuffer: true }).tensors.a;
    if (!isFloatTensor(shared)) throw new Error('float tensor expected');
    expect(shared.data.buffer).not.toBe(padded.buffer);
    expect(Array.from(shared.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
