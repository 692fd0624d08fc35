/**
 * The parity measurements, in a module Web Worker as the product runs tfjs: load the tiny fixture
 * from the test site's model host with the product's loaders, then compute every figure that
 * tests/e2e/parity.e2e.ts compares with reference.json. Inputs (ids, the training batch) come from
 * the fixture (reference.json is fetched for its inputs only).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Served by this site (never a CDN), as src/engine/backend.ts does.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { checkpointName, loadGPT2, loadTokenizer, type GPT2 } from '../../src/model';
import type {
  AdapterFigures,
  BackendChoice,
  CaseFigures,
  ModelFigures,
  ParityReport,
  SplitFigures,
  TrainingFigures,
  WorkerMessage,
} from './report';
import { describeAdapter } from '../../src/engine/backend';
import { globalNorm } from '../../src/train/clip';
import { checkEmbeddingRows, checkOptimizer, checkRowGradient, maxAbsDiff } from './backend-checks';

const MODEL_HOST = new URL('/hf/test/tiny-gpt2/resolve/main/', self.location.href);
/** 50257 x 32 floats is 6.4 MB; 1 MB chunks split wte into 7 pieces. */
const SPLIT_BYTES = 1_000_000;
const GREEDY_TOKENS = 12;

interface ReferenceInputs {
  cases: Array<{ ids: number[] }>;
  training: { batch: number[][]; sgd: { lr: number; steps: number } };
}

async function fetchBytes(file: string): Promise<Uint8Array> {
  const res = await fetch(new URL(file, MODEL_HOST));
  if (!res.ok) throw new Error(`GET ${file} from the test model host: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchJson<T>(file: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await fetchBytes(file))) as T;
}

async function useBackend(name: BackendChoice, adapter: AdapterFigures | null): Promise<void> {
  if (name === 'webgpu' && !adapter) throw new Error('?backend=webgpu, but navigator.gpu gave this worker no adapter');
  if (name === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': new URL(wasmPlain, import.meta.url).href,
      'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, import.meta.url).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, import.meta.url).href,
    });
  }
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`asked for ${name}, tfjs runs ${tf.getBackend()}`);
}

function ids2d(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');
}

async function take(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Every position's logits of one sequence, flattened [T * V]. */
async function fullLogits(model: GPT2, ids: number[]): Promise<Float32Array> {
  const input = ids2d([ids]);
  try {
    return await take(model.logits(input));
  } finally {
    input.dispose();
  }
}

/**
 * One reference case. WebGPU on SwiftShader computes the LM head ([rows, 32] x [32, 50257]) at
 * ~0.1 s a row, so every row is made to count: greedy decoding runs through the KV cache as
 * generation does (prefill, then one token at a time), and a single full pass over the prompt plus
 * the continuation serves both as the prompt's last-position logits (the model is causal) and as
 * the yardstick for every cache step.
 */
async function measureCase(model: GPT2, ids: number[], label: string): Promise<CaseFigures> {
  const V = model.config.vocabSize;
  const T = ids.length;
  const input = ids2d([ids]);
  try {
    progress(`${label}: greedy through the KV cache`);
    const stepLogits: Float32Array[] = [];
    const greedy: number[] = [];
    const cache = model.newCache();
    try {
      stepLogits.push(await take(model.step(input, cache, { lastOnly: true })));
      greedy.push(argmax(stepLogits[0]));
      while (greedy.length < GREEDY_TOKENS) {
        const one = ids2d([[greedy[greedy.length - 1]]]);
        stepLogits.push(await take(model.step(one, cache)));
        one.dispose();
        greedy.push(argmax(stepLogits[stepLogits.length - 1]));
      }
    } finally {
      model.disposeCache(cache);
    }

    progress(`${label}: full pass`);
    // Positions T-1 .. T+10 predict greedy[0 .. 11]: the same rows the cache steps produced.
    const full = await fullLogits(model, [...ids, ...greedy.slice(0, -1)]);
    let kvMaxAbsDiff = 0;
    stepLogits.forEach((logits, k) => {
      const t = T - 1 + k;
      kvMaxAbsDiff = Math.max(kvMaxAbsDiff, maxAbsDiff(logits, full.subarray(t * V, (t + 1) * V)));
    });
    const last = full.slice((T - 1) * V, T * V);
    const top5 = Array.from(last, (v, i) => [i, v] as [number, number])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    const l2 = Math.sqrt(last.reduce((s, v) => s + v * v, 0));

    progress(`${label}: loss`);
    let loss: number | null = null;
    let lossRefusal: string | null = null;
    try {
      loss = (await take(model.loss(input)))[0];
    } catch (err) {
      lossRefusal = (err as Error).message;
    }
    return { ids, first16: Array.from(last.subarray(0, 16)), top5, l2, loss, lossRefusal, greedy, kvMaxAbsDiff };
  } finally {
    input.dispose();
  }
}

/** Loss and its gradient for every params key (wte chunks separately). */
function lossGrads(model: GPT2, batch: tf.Tensor2D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(() => model.loss(batch), Object.values(model.params));
  const byKey: Record<string, tf.Tensor> = {};
  for (const [key, v] of Object.entries(model.params)) {
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for ${key}`);
    byKey[key] = g;
  }
  return { loss: value, grads: byKey };
}

/** Loss and gradient norms; with `sgd`, also the losses along plain-SGD steps on a copy. */
async function measureTraining(model: GPT2, inputs: ReferenceInputs['training'], sgd: boolean): Promise<TrainingFigures> {
  const batch = ids2d(inputs.batch);
  const { loss, grads } = lossGrads(model, batch);
  const meanLoss = (await take(loss))[0];
  // Sum of squares per checkpoint tensor: the chunks of a split wte add up to wte's norm.
  const squares: Record<string, number> = {};
  for (const [key, g] of Object.entries(grads)) {
    const s = (await take(tf.tidy(() => tf.sum(tf.square(g)))))[0];
    squares[checkpointName(key)] = (squares[checkpointName(key)] ?? 0) + s;
  }
  const gradL2 = Object.fromEntries(Object.entries(squares).map(([k, s]) => [k, Math.sqrt(s)]));

  // The same gradients the trainer's way, and the norm its clipping takes of them.
  const keys = Object.keys(model.params);
  const trainer = model.lossGradients(batch, keys.map((k) => model.params[k]));
  trainer.value.dispose();
  let trainerGradMaxAbsDiff = 0;
  for (const [i, key] of keys.entries()) {
    const g = trainer.grads[i];
    if (!g) throw new Error(`the trainer's gradients have none for ${key}`);
    trainerGradMaxAbsDiff = Math.max(trainerGradMaxAbsDiff, maxAbsDiff(await g.data(), await grads[key].data()));
  }
  const byKey = Object.fromEntries(keys.map((k, i) => [k, trainer.grads[i] as tf.Tensor]));
  const clipNorm = (await take(globalNorm(byKey)))[0];
  tf.dispose([...Object.values(grads), ...Object.values(byKey)]);

  if (!sgd) {
    batch.dispose();
    return { meanLoss, gradL2, sgdLosses: null, trainerGradMaxAbsDiff, clipNorm };
  }
  // Plain SGD (w -= lr * grad) on a copy, so the model itself stays as loaded.
  const copy = model.clone();
  const sgdLosses: number[] = [];
  try {
    for (let s = 0; s < inputs.sgd.steps; s++) {
      const step = lossGrads(copy, batch);
      sgdLosses.push((await take(step.loss))[0]);
      for (const [key, v] of Object.entries(copy.params)) {
        const next = tf.tidy(() => tf.sub(v, tf.mul(step.grads[key], inputs.sgd.lr)));
        v.assign(next);
        next.dispose();
      }
      tf.dispose(Object.values(step.grads));
    }
    sgdLosses.push((await take(copy.loss(batch)))[0]);
  } finally {
    copy.dispose();
    batch.dispose();
  }
  return { meanLoss, gradL2, sgdLosses, trainerGradMaxAbsDiff, clipNorm };
}

async function measureModel(
  files: Record<string, Uint8Array>,
  weights: ModelFigures['weights'],
  inputs: ReferenceInputs,
): Promise<ModelFigures> {
  const t0 = performance.now();
  progress(`${weights}: loading`);
  const model = await loadGPT2({ 'config.json': files['config.json'], [weights]: files[weights] });
  try {
    const afterLoad = tf.memory().numTensors;
    const cases: CaseFigures[] = [];
    for (const [n, c] of inputs.cases.entries()) cases.push(await measureCase(model, c.ids, `${weights} case ${n}`));
    progress(`${weights}: training`);
    // SGD only from model.safetensors: the .bin's weights are the same floats (its logits and
    // gradients above say so), and each SGD step costs ~10 s on WebGPU over SwiftShader.
    const training = await measureTraining(model, inputs.training, weights === 'model.safetensors');
    return {
      weights,
      wteChunkRows: model.wteParamKeys.map((k) => model.params[k].shape[0]),
      cases,
      training,
      tensors: { afterLoad, afterWork: tf.memory().numTensors },
      ms: performance.now() - t0,
    };
  } finally {
    model.dispose();
  }
}

/**
 * The vocabulary split (wte stored as row chunks) against the unsplit model: logits and loss of
 * the training batch, then the training figures, whose gradients pass through every chunk.
 */
async function measureSplit(files: Record<string, Uint8Array>, inputs: ReferenceInputs): Promise<SplitFigures> {
  const t0 = performance.now();
  progress('wte split: loading');
  const modelFiles = { 'config.json': files['config.json'], 'model.safetensors': files['model.safetensors'] };
  const whole = await loadGPT2(modelFiles);
  const split = await loadGPT2(modelFiles, { maxTensorBytes: SPLIT_BYTES });
  const batch = ids2d(inputs.training.batch);
  try {
    const afterLoad = tf.memory().numTensors;
    progress('wte split: logits and loss against unsplit');
    const logitsMaxAbsDiff = maxAbsDiff(await take(split.logits(batch)), await take(whole.logits(batch)));
    const loss = (await take(split.loss(batch)))[0];
    const unsplitLoss = (await take(whole.loss(batch)))[0];
    progress('wte split: training');
    const training = await measureTraining(split, inputs.training, true);
    return {
      maxTensorBytes: SPLIT_BYTES,
      wteChunkRows: split.wteParamKeys.map((k) => split.params[k].shape[0]),
      logitsMaxAbsDiff,
      loss,
      unsplitLoss,
      training,
      tensors: { afterLoad, afterWork: tf.memory().numTensors },
      ms: performance.now() - t0,
    };
  } finally {
    batch.dispose();
    whole.dispose();
    split.dispose();
  }
}

async function run(requested: BackendChoice): Promise<ParityReport> {
  const t0 = performance.now();
  const adapter = await describeAdapter().catch(() => null);
  await useBackend(requested, adapter);
  const tensorsAtStart = tf.memory().numTensors;

  progress('fetching the fixture');
  const names = ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json'];
  const files = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await fetchBytes(n)] as const)));
  const inputs = await fetchJson<ReferenceInputs>('reference.json');
  const tokenization = await fetchJson<{ cases: Array<{ text: string }> }>('tokenization.json');

  const tokenizer = loadTokenizer({ 'tokenizer.json': files['tokenizer.json'], 'tokenizer_config.json': files['tokenizer_config.json'] });
  const tokenizerFigures = {
    cases: tokenization.cases.map(({ text }) => {
      const ids = tokenizer.encode(text);
      return { text, ids, decoded: tokenizer.decode(ids) };
    }),
  };

  // The .bin's parse is backend-independent (its floats equal the safetensors' ones: the unit tests
  // check both files against the reference in Node), so it is measured on wasm, where it is cheap;
  // on SwiftShader's WebGL and WebGPU it cost a minute of CI time for no new line of code run.
  const models = [await measureModel(files, 'model.safetensors', inputs), ...(requested === 'wasm' ? [await measureModel(files, 'pytorch_model.bin', inputs)] : [])];
  const split = await measureSplit(files, inputs);
  progress('backend checks');
  const checks = { optimizer: await checkOptimizer(), rowGradient: await checkRowGradient(), embeddingRows: await checkEmbeddingRows() };

  return {
    requested,
    backend: tf.getBackend(),
    adapter,
    crossOriginIsolated: Boolean((self as { crossOriginIsolated?: boolean }).crossOriginIsolated),
    tokenizer: tokenizerFigures,
    models,
    split,
    checks,
    tensorsAtStart,
    tensorsAtEnd: tf.memory().numTensors,
    ms: performance.now() - t0,
  };
}

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

/** Where the run is, so a slow or stuck backend shows its stage (WebGPU on SwiftShader is slow). */
function progress(stage: string): void {
  post({ kind: 'progress', stage });
}

self.onmessage = async (e: MessageEvent<{ backend: BackendChoice }>) => {
  try {
    post({ kind: 'done', report: await run(e.data.backend) });
  } catch (err) {
    post({ kind: 'failed', error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
};
