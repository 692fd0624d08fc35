/**
 * Training throughput of the peer library @genai-fi/nanogpt 1.3.0 at a GPT-2 shape, for the
 * "ours vs peer, same shape, same backend" figure.
 *
 * Its closest model to GPT-2 is GenAI_NanoGPT_v1 with learned positions (useRope: false) and a 4x
 * MLP: the same matrix sizes, but RMSNorm and no biases, so a little less work per token than
 * GPT-2. One step is `PreTrainer.trainStep({}, { xs, ys })` on one block, as its own training loop
 * runs it (AdamW, no dropout by default). Its trainer takes gradients of every trainable variable
 * in the tfjs engine: run it where no other model lives (its own worker).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2Config } from '../src/model/config';
import { median, syntheticDataset, type Log } from './measure';
import { describeShape } from './shapes';

export interface PeerFigures {
  library: string;
  model: string;
  shape: string;
  params: number;
  blockSize: number;
  batchSize: number;
  createMs: number;
  warmupMs: number;
  stepMs: number[];
  tokensPerSec: number;
  losses: number[];
}

interface PeerTrainer {
  configure(options: { method: { type: 'pretraining' }; batchSize: number; learningRate: number }): void;
  trainStep(state: object, batch: { xs: tf.Tensor; ys: tf.Tensor }): tf.Scalar;
  dispose(): void;
}

export const PEER_VERSION = '1.3.0';

export async function measurePeerTraining(
  config: GPT2Config,
  opts: { blockSize: number; warmupSteps: number; steps: number; seed?: number; log?: Log },
): Promise<PeerFigures> {
  const log = opts.log ?? (() => undefined);
  if (tf.engine().registeredVariables && Object.keys(tf.engine().registeredVariables).length > 0) {
    throw new Error('the peer trains every variable in the engine: run it where no other model is loaded');
  }
  log('peer: importing @genai-fi/nanogpt');
  const { TeachableLLM } = await import('@genai-fi/nanogpt');
  // PreTrainer is not exported from the package root ("exports" has only "."): import its file.
  const { default: PreTrainer } = (await import('../node_modules/@genai-fi/nanogpt/dist/training/PreTrainer.js')) as unknown as {
    default: new (model: unknown, tokenizer: unknown, opt?: object) => PeerTrainer;
  };

  const c0 = performance.now();
  const llm = TeachableLLM.create('bpe', {
    modelType: 'GenAI_NanoGPT_v1',
    useRope: false,
    mlpFactor: 4,
    vocabSize: config.vocabSize,
    blockSize: opts.blockSize,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nEmbed: config.nEmbd,
  });
  // create() returns at once and warms the model up in the background; wait for it.
  await new Promise<void>((resolve, reject) => {
    llm.on('loaded', () => resolve());
    llm.on('error', (e: Error) => reject(e));
  });
  const createMs = performance.now() - c0;
  const params = llm.getNumParams();
  log(`peer: model created in ${(createMs / 1000).toFixed(1)} s, ${(params / 1e6).toFixed(2)}M parameters`);

  const trainer = new PreTrainer(llm.model, llm.tokeniser, {});
  trainer.configure({ method: { type: 'pretraining' }, batchSize: 1, learningRate: 1e-4 });
  const dataset = syntheticDataset(config, opts.blockSize, opts.warmupSteps + opts.steps, opts.seed);
  const T = opts.blockSize;
  const step = async (i: number): Promise<{ ms: number; loss: number }> => {
    const block = dataset.train[i];
    const xs = tf.tensor2d(block.subarray(0, T), [1, T], 'int32');
    const ys = tf.tensor2d(block.subarray(1, T + 1), [1, T], 'int32');
    const t0 = performance.now();
    const loss = trainer.trainStep({}, { xs, ys });
    const [value] = await loss.data();
    const ms = performance.now() - t0;
    tf.dispose([xs, ys, loss]);
    return { ms, loss: value };
  };

  try {
    const losses: number[] = [];
    const w0 = performance.now();
    for (let i = 0; i < opts.warmupSteps; i++) losses.push((await step(i)).loss);
    const warmupMs = performance.now() - w0;
    log(`peer: warm-up took ${(warmupMs / 1000).toFixed(1)} s`);
    const stepMs: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      const r = await step(opts.warmupSteps + i);
      stepMs.push(r.ms);
      losses.push(r.loss);
      log(`peer: step ${i + 1}/${opts.steps} ${(r.ms / 1000).toFixed(2)} s, loss ${r.loss.toFixed(3)}`);
    }
    if (!losses.every(Number.isFinite)) throw new Error(`peer: a loss is not finite (${losses.join(', ')})`);
    return {
      library: `@genai-fi/nanogpt ${PEER_VERSION}`,
      model: 'GenAI_NanoGPT_v1 (learned positions, RMSNorm, no biases, 4x MLP)',
      shape: describeShape({ ...config, nPositions: opts.blockSize }),
      params,
      blockSize: T,
      batchSize: 1,
      createMs,
      warmupMs,
      stepMs,
      tokensPerSec: (T * 1000) / median(stepMs),
      losses,
    };
  } finally {
    trainer.dispose();
    llm.dispose();
  }
}
