/** saveSafetensors: names, shapes and exact values, chunked wte joined, LoRA merged. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { gpt2ParamShapes, loadGPT2, parseGPT2Config, saveSafetensors } from '../../../src/model';
import { parseSafetensors, readGPT2Checkpoint, type RawTensor } from '../../../src/model/weights';
import { tinyFile } from '../../helpers/fixtures';
import { expectClose, tinyFiles, useCpu } from './helpers';

/** Same bits, not just close: compare the float32 words as integers (NaN-safe, -0-safe). */
function expectBitIdentical(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = a.findIndex((w, i) => w !== b[i]);
  expect(first, `${what}: first differing element`).toBe(-1);
}

describe('saveSafetensors', () => {
  let fromBin: Record<string, RawTensor>;
  beforeAll(async () => {
    await useCpu();
    fromBin = await readGPT2Checkpoint(tinyFiles('pytorch_model.bin'), parseGPT2Config(tinyFile('config.json')));
  });

  test('a .bin-loaded model saves exactly the values it was loaded with, named as openai-community/gpt2', async () => {
    const model = await loadGPT2(tinyFiles('pytorch_model.bin'));
    const bytes = await saveSafetensors(model);
    const file = parseSafetensors(bytes);
    expect(file.metadata).toMatchObject({ format: 'pt' });
    const shapes = gpt2ParamShapes(model.config);
    expect(file.entries.map((e) => e.name).sort()).toEqual(Object.keys(shapes).sort());
    for (const entry of file.entries) {
      expect(entry.dtype).toBe('F32');
      expect(entry.shape).toEqual(shapes[entry.name]);
      expect(entry.name.startsWith('transformer.') || entry.name.startsWith('lm_head')).toBe(false);
      const saved = file.tensors[entry.name] as RawTensor;
      expectBitIdentical(saved.data, fromBin[entry.name].data, entry.name);
    }
    // and it loads back into the same model
    const again = await loadGPT2({ 'config.json': tinyFile('config.json'), 'model.safetensors': bytes });
    const ids = tf.tensor2d([[464, 3290, 318]], undefined, 'int32');
    const a = model.logits(ids);
    const b = again.logits(ids);
    expectBitIdentical((await b.data()) as Float32Array, (await a.data()) as Float32Array, 'logits');
    tf.dispose([ids, a, b]);
    again.dispose();
    model.dispose();
  });

  test('a split wte is saved whole, byte for byte as from the unsplit model', async () => {
    const whole = await loadGPT2(tinyFiles('model.safetensors'));
    const split = await loadGPT2(tinyFiles('model.safetensors'), { maxTensorBytes: 1_000_000 });
    expect(split.wteParamKeys.length).toBeGreaterThan(1);
    const a = await saveSafetensors(whole);
    const b = await saveSafetensors(split);
    expect(b.length).toBe(a.length);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    whole.dispose();
    split.dispose();
  });

  test('LoRA adapters are merged: W + scale * A @ B', async () => {
    const model = await loadGPT2(tinyFiles('model.safetensors'));
    const name = 'h.0.attn.c_proj.weight';
    const A = tf.tidy(() => tf.variable(tf.randomNormal([32, 4], 0, 1, 'float32', 3)));
    const B = tf.tidy(() => tf.variable(tf.randomNormal([4, 32], 0, 1, 'float32', 4)));
    model.adapters.set(name, { A, B, scale: 0.5 });
    const file = parseSafetensors(await saveSafetensors(model));
    const expected = tf.tidy(() => tf.add(model.params[name], tf.mul(tf.matMul(A, B), 0.5)));
    expectClose((file.tensors[name] as RawTensor).data, (await expected.data()) as Float32Array, 1e-6, name);
    // other weights untouched
    expectBitIdentical((file.tensors['h.0.attn.c_attn.weight'] as RawTensor).data, fromBin['h.0.attn.c_attn.weight'].data, 'c_attn');
    expected.dispose();
    model.dispose(); // frees A and B
    expect(A.isDisposed).toBe(true);
  });
});
