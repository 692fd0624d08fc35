import { describe, expect, it } from 'vitest';
import { corpusPlan, projectTime } from '../../../bench/projection';

describe('corpusPlan', () => {
  it('packs 3,000 tweets of 25 tokens as buildDataset would, with the default settings', () => {
    const p = corpusPlan(3000, 25, 128);
    // 10% validation; streams: 1 + 2700 * 26 = 70,201 and 1 + 300 * 26 = 7,801 ids.
    expect(p.valTweets).toBe(300);
    expect(p.trainTweets).toBe(2700);
    // 548 full blocks cover 70,144 targets; one tail block takes the rest.
    expect(p.trainBlocks).toBe(549);
    expect(p.valBlocks).toBe(61);
    expect(p.epochs).toBe(4);
    expect(p.batchSize).toBe(8);
    expect(p.stepsPerEpoch).toBe(69);
    expect(p.totalSteps).toBe(276);
    expect(p.trainBlockPasses).toBe(2196);
    expect(p.trainTokens).toBe(281_088);
    expect(p.validations).toBe(5);
  });

  it('has no validation runs when the split leaves no validation tweet', () => {
    const p = corpusPlan(1, 25, 8);
    expect(p.valTweets).toBe(0);
    expect(p.validations).toBe(0);
  });
});

describe('projectTime', () => {
  const plan = corpusPlan(3000, 25, 128);

  it('counts the optimizer once per step of 8 blocks and validation at the forward rate', () => {
    const t = projectTime(plan, { blockSize: 128, stepMs: 1000, optimizerMs: 200, evalTokensPerSec: 128 });
    // 2196 blocks x 800 ms + 276 steps x 200 ms; 5 x 61 blocks x 1 s.
    expect(t.trainSeconds).toBeCloseTo(1812, 6);
    expect(t.evalSeconds).toBeCloseTo(305, 6);
    expect(t.seconds).toBeCloseTo(2117, 6);
  });

  it('clamps a noisy optimizer share into [0, step]', () => {
    const neg = projectTime(plan, { blockSize: 128, stepMs: 1000, optimizerMs: -50, evalTokensPerSec: 1e9 });
    expect(neg.trainSeconds).toBeCloseTo(2196, 6);
    const big = projectTime(plan, { blockSize: 128, stepMs: 1000, optimizerMs: 5000, evalTokensPerSec: 1e9 });
    expect(big.trainSeconds).toBeCloseTo(276, 6);
  });

  it('refuses a measurement made at another block size', () => {
    expect(() => projectTime(plan, { blockSize: 64, stepMs: 1, optimizerMs: 0, evalTokensPerSec: 1 })).toThrow(/blocks of 64/);
  });
});
