/**
 * Does training actually teach the tiny GPT-2 fixture (real weights layout, real tokenizer)?
 * A corpus of five repetitive tweet templates, a high learning rate and two or three steps: the
 * validation loss (on held-out tweets) must fall clearly — by more than 30% with full fine-tuning,
 * more than 25% with LoRA, whose adapters cannot touch the fixture's random embeddings and final
 * LayerNorm and level off near 30% within a few steps. Few steps, because on the cpu backend a
 * step over the 50257-token vocabulary costs about a second.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, type Dataset } from '../../../src/train/dataset';
import { Trainer, type TrainSettings } from '../../../src/train/trainer';
import { changedTensors, snapshot, syntheticTweets, tinyModel, tinyTokenizer, useCpu } from './setup';

beforeAll(useCpu);

let dataset: Dataset;
beforeAll(() => {
  dataset = buildDataset(syntheticTweets(60), tinyTokenizer(), { blockSize: 16, nPositions: 128, seed: 3 });
});

const settings: Partial<TrainSettings> = { epochs: 1, batchSize: 2, microBatchSize: 2, warmupFraction: 0, decay: 'constant', evalBatchSize: 4 };

describe('training the tiny GPT-2 fixture', () => {
  it('builds a small dataset of held-out tweets', () => {
    expect(dataset.blockSize).toBe(16);
    expect(dataset.valTweets).toBe(6);
    expect(dataset.val.length).toBeGreaterThan(0);
    expect(dataset.train.length).toBeGreaterThan(8);
  });

  it('full fine-tuning: validation loss drops by more than 30%', async () => {
    const model = await tinyModel();
    const t = new Trainer(model, dataset, { ...settings, mode: 'full', learningRate: 5e-2, evalEvery: 2 });
    const result = await t.run({ stopAtStep: 2 });
    expect(result.valHistory.map((r) => r.step)).toEqual([0, 2]);
    expect(result.initialValLoss!).toBeGreaterThan(12); // random weights: worse than uniform (ln 50257 ≈ 10.8)
    expect(result.finalValLoss!).toBeLessThan(0.7 * result.initialValLoss!);
    t.dispose();
    model.dispose();
  });

  it('LoRA: validation loss drops by more than 25%, only adapters change, base weights stay bit-identical', async () => {
    const model = await tinyModel();
    const base = await snapshot(model.params);
    const t = new Trainer(model, dataset, {
      ...settings,
      mode: 'lora',
      learningRate: 1e-1,
      evalEvery: 3,
      lora: { rank: 4, alpha: 8, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] },
    });
    expect(Object.keys(t.trainable).length).toBe(2 * 2 * 4);
    const result = await t.run({ stopAtStep: 3 });
    expect(result.valHistory.map((r) => r.step)).toEqual([0, 3]);
    expect(result.finalValLoss!).toBeLessThan(0.75 * result.initialValLoss!);
    const after = await snapshot(model.params);
    expect(Object.keys(after).sort()).toEqual(Object.keys(base).sort());
    expect(changedTensors(base, after)).toEqual([]);
    for (const { B } of model.adapters.values()) expect(Array.from(await B.data()).some((x) => x !== 0)).toBe(true);
    t.dispose();
    model.dispose();
  });
});
