/** Variables, disposal, copies, dropout and the LoRA hook. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { GPT2, loadGPT2, parseGPT2Config, randomGPT2Weights } from '../../../src/model';
import { expectClose, reference, tinyFiles, useCpu } from './helpers';

const ids = () => tf.tensor2d([reference.cases[1].ids], undefined, 'int32');

/** v = f(v), freeing the new value's own tensor handle (the variable keeps the data). */
function assign(v: tf.Variable, f: () => tf.Tensor): void {
  const value = tf.tidy(f);
  v.assign(value);
  value.dispose();
}

async function logitsOf(model: GPT2): Promise<Float32Array> {
  const input = ids();
  const out = model.logits(input);
  const data = (await out.data()) as Float32Array;
  tf.dispose([input, out]);
  return data;
}

describe('model lifecycle', () => {
  beforeAll(useCpu);

  test('two models live side by side; disposing one leaves the other working', async () => {
    const before = tf.memory().numTensors;
    const a = await loadGPT2(tinyFiles('model.safetensors'));
    const b = await loadGPT2(tinyFiles('pytorch_model.bin'));
    expect(Object.keys(a.params)).toEqual(Object.keys(b.params));
    expect(a.params['h.0.attn.c_attn.weight'].name).not.toBe(b.params['h.0.attn.c_attn.weight'].name);
    expect(a.variablePrefix).not.toBe(b.variablePrefix);
    const expected = await logitsOf(a);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    const input = ids();
    expect(() => a.logits(input)).toThrow(/disposed/);
    input.dispose();
    expectClose(await logitsOf(b), expected, 1e-6, 'b after a is gone');
    b.dispose();
    b.dispose(); // twice is harmless
    expect(tf.memory().numTensors).toBe(before);
  });

  test('clone() is a deep copy with its own variables', async () => {
    const before = tf.memory().numTensors;
    const a = await loadGPT2(tinyFiles('model.safetensors'));
    const b = a.clone();
    expect(b.params['ln_f.bias']).not.toBe(a.params['ln_f.bias']);
    const expected = await logitsOf(a);
    expectClose(await logitsOf(b), expected, 0, 'clone');
    assign(b.params['ln_f.bias'], () => tf.add(b.params['ln_f.bias'], 1));
    expectClose(await logitsOf(a), expected, 0, 'original after changing the clone');
    a.dispose();
    expect(Number.isFinite((await logitsOf(b))[0])).toBe(true);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('forward and loss leave no tensors behind', async () => {
    const model = await loadGPT2(tinyFiles('model.safetensors'));
    const input = ids();
    const before = tf.memory().numTensors;
    tf.dispose([model.logits(input), model.loss(input), model.forward(input, { training: true, seed: 1 }), model.trainLoss(input, 2)]);
    const cache = model.newCache();
    tf.dispose(model.step(input, cache));
    model.disposeCache(cache);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    model.dispose();
  });

  test('randomGPT2Weights builds a model of any configured shape', async () => {
    const config = parseGPT2Config({
      model_type: 'gpt2',
      vocab_size: 97,
      n_positions: 16,
      n_embd: 12,
      n_layer: 3,
      n_head: 3,
      n_inner: 20,
      activation_function: 'gelu',
    });
    const model = GPT2.fromWeights(config, randomGPT2Weights(config, 5));
    const input = tf.tensor2d([[1, 2, 3, 96]], undefined, 'int32');
    const logits = model.logits(input);
    expect(logits.shape).toEqual([1, 4, 97]);
    const loss = model.loss(input);
    // near-uniform predictions from small random weights: loss close to ln(97)
    expect(Math.abs((await loss.data())[0] - Math.log(97))).toBeLessThan(0.1);
    tf.dispose([input, logits, loss]);
    model.dispose();
  });

  test('a checkpoint with a missing or misshaped tensor is refused', () => {
    const config = parseGPT2Config({ model_type: 'gpt2', vocab_size: 10, n_positions: 4, n_embd: 4, n_layer: 1, n_head: 2 });
    const weights = randomGPT2Weights(config);
    const { ['h.0.mlp.c_fc.bias']: _gone, ...missing } = weights;
    expect(() => GPT2.fromWeights(config, missing)).toThrow(/missing tensor "h.0.mlp.c_fc.bias"/);
    const bad = { ...weights, 'wpe.weight': { shape: [5, 4], data: new Float32Array(20) } };
    expect(() => GPT2.fromWeights(config, bad)).toThrow(/"wpe.weight" has shape \[5,4\]/);
  });
});

describe('dropout', () => {
  let model: GPT2;
  beforeAll(async () => {
    await useCpu();
    model = await loadGPT2(tinyFiles('model.safetensors'));
  });

  test('a training forward differs from eval, repeats with its seed, and leaves eval alone', async () => {
    const input = ids();
    const evalBefore = await logitsOf(model);
    const run = async (seed: number) => {
      const out = model.forward(input, { training: true, seed });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expectClose(b, a, 0, 'same seed');
    const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    expect(maxDiff(a, evalBefore)).toBeGreaterThan(0.1);
    expect(maxDiff(a, c)).toBeGreaterThan(0.1);
    expectClose(await logitsOf(model), evalBefore, 0, 'eval after training forwards');
    const plain = model.forward(input);
    expectClose(await plain.data(), evalBefore, 0, 'forward() without options is eval');
    tf.dispose([input, plain]);
  });

  test('trainLoss is seeded; loss never drops out', async () => {
    const input = ids();
    const value = async (t: tf.Scalar) => {
      const v = (await t.data())[0];
      t.dispose();
      return v;
    };
    const evalLoss = await value(model.loss(input));
    expectClose([evalLoss], [reference.cases[1].mean_next_token_loss!], 1e-3, 'eval loss');
    const t1 = await value(model.trainLoss(input, 3));
    expect(await value(model.trainLoss(input, 3))).toBe(t1);
    expect(t1).not.toBe(evalLoss);
    expect(await value(model.trainLoss(input, 4))).not.toBe(t1);
    expect(await value(model.loss(input))).toBe(evalLoss);
    input.dispose();
  });

  test('dropout rates of zero make training equal eval', async () => {
    const config = { ...model.config, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 };
    const weights = randomGPT2Weights(config, 1);
    const m = GPT2.fromWeights(config, weights);
    const input = ids();
    const a = m.forward(input, { training: true, seed: 9 });
    const b = m.logits(input);
    expectClose(await a.data(), await b.data(), 0, 'no-dropout training');
    tf.dispose([input, a, b]);
    m.dispose();
  });
});

describe('LoRA hook', () => {
  let model: GPT2;
  beforeAll(async () => {
    await useCpu();
    model = await loadGPT2(tinyFiles('model.safetensors'));
  });

  test('an adapter adds scale * (x A) B to its projection, like merging W + scale * A B', async () => {
    const name = 'h.1.mlp.c_fc.weight';
    const [nIn, nOut] = model.params[name].shape;
    const r = 3;
    const A = tf.tidy(() => tf.variable(tf.randomNormal([nIn, r], 0, 0.5, 'float32', 1), true, 'test_lora_A'));
    const B = tf.tidy(() => tf.variable(tf.zeros([r, nOut]), true, 'test_lora_B'));
    const base = await logitsOf(model);
    model.adapters.set(name, { A, B, scale: 2 });
    expectClose(await logitsOf(model), base, 1e-6, 'B = 0 leaves the model unchanged');

    assign(B, () => tf.randomNormal([r, nOut], 0, 0.5, 'float32', 2));
    const adapted = await logitsOf(model);
    expect(adapted.some((v, i) => Math.abs(v - base[i]) > 1e-2)).toBe(true);

    // the same model with W + 2 A B and no adapter
    const merged = model.clone();
    const { A: A2, B: B2 } = merged.adapters.get(name)!;
    expect(A2).not.toBe(A);
    assign(merged.params[name], () => tf.add(merged.params[name], tf.mul(tf.matMul(A2, B2), 2)));
    merged.adapters.delete(name);
    A2.dispose();
    B2.dispose();
    expectClose(await logitsOf(merged), adapted, 1e-4, 'merged');
    merged.dispose();

    // gradients reach A and B
    const input = ids();
    const { value, grads } = tf.variableGrads(() => model.loss(input), [A, B]);
    expect(Object.keys(grads).sort()).toEqual(['test_lora_A', 'test_lora_B']);
    tf.dispose([input, value, ...Object.values(grads)]);

    model.adapters.delete(name);
    A.dispose();
    B.dispose();
    expectClose(await logitsOf(model), base, 0, 'adapter removed');
  });

  test('dispose() frees adapters too', async () => {
    const m = model.clone();
    const before = tf.memory().numTensors;
    const A = tf.tidy(() => tf.variable(tf.zeros([32, 2])));
    const B = tf.tidy(() => tf.variable(tf.zeros([2, 96])));
    m.adapters.set('h.0.attn.c_attn.weight', { A, B, scale: 1 });
    expect(tf.memory().numTensors).toBe(before + 2);
    m.dispose();
    expect(A.isDisposed && B.isDisposed).toBe(true);
  });
});
