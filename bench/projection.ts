/**
 * How long fine-tuning on a tweet archive would take at the measured rates, with the default
 * settings (`defaultTrainSettings()`: 4 epochs, 8 blocks per optimizer step as 8 micro-batches of
 * 1, validation before training and after each epoch) and the real packing (`buildDataset`'s
 * split and `packBlocks`).
 *
 * Assumption, stated in the output: every tweet is `tokensPerTweet` GPT-2 tokens (+1 EOS).
 */
import { DEFAULT_BLOCK_SIZE, DEFAULT_MIN_VAL_TWEETS, DEFAULT_VAL_FRACTION, packBlocks, validationCount } from '../src/train/dataset';
import { defaultTrainSettings } from '../src/train/trainer';

export interface CorpusPlan {
  tweets: number;
  tokensPerTweet: number;
  trainTweets: number;
  valTweets: number;
  blockSize: number;
  trainBlocks: number;
  valBlocks: number;
  epochs: number;
  batchSize: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Forward + backward passes over one block, all epochs. */
  trainBlockPasses: number;
  /** Validation runs: before the first step and after each epoch. */
  validations: number;
  /** Trained tokens (predictions) over all epochs. */
  trainTokens: number;
}

/** Blocks that `packBlocks` cuts from a stream of `length` ids (the ids themselves do not matter). */
function blocksFor(length: number, blockSize: number): number {
  return packBlocks(new Int32Array(length), blockSize).length;
}

export function corpusPlan(tweets = 3000, tokensPerTweet = 25, blockSize = DEFAULT_BLOCK_SIZE): CorpusPlan {
  const settings = defaultTrainSettings();
  const valTweets = validationCount(tweets, DEFAULT_VAL_FRACTION, DEFAULT_MIN_VAL_TWEETS);
  const trainTweets = tweets - valTweets;
  // A split's stream: one leading EOS, then each tweet and its EOS (see tokenStream).
  const trainBlocks = blocksFor(1 + trainTweets * (tokensPerTweet + 1), blockSize);
  const valBlocks = valTweets > 0 ? blocksFor(1 + valTweets * (tokensPerTweet + 1), blockSize) : 0;
  const stepsPerEpoch = Math.ceil(trainBlocks / settings.batchSize);
  const trainBlockPasses = settings.epochs * trainBlocks;
  return {
    tweets,
    tokensPerTweet,
    trainTweets,
    valTweets,
    blockSize,
    trainBlocks,
    valBlocks,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    stepsPerEpoch,
    totalSteps: settings.epochs * stepsPerEpoch,
    trainBlockPasses,
    validations: valBlocks > 0 ? settings.epochs + 1 : 0,
    trainTokens: trainBlockPasses * blockSize,
  };
}

/** What a projection needs of a training measurement (bench/measure.ts TrainingFigures). */
export interface MeasuredRate {
  blockSize: number;
  /** Mean time of a measured step of one block (forward + backward + clipping + AdamW). */
  stepMs: number;
  /** Clipping + AdamW share of it. */
  optimizerMs: number;
  /** Forward-only tokens per second (validation). */
  evalTokensPerSec: number;
}

export interface Projection {
  seconds: number;
  trainSeconds: number;
  evalSeconds: number;
}

/**
 * Time = every block's forward + backward, one optimizer update per step of `batchSize` blocks
 * (the measurement ran one per block, so its optimizer share is counted once per step here), and
 * the validation passes at the measured forward rate.
 */
export function projectTime(plan: CorpusPlan, rate: MeasuredRate): Projection {
  if (rate.blockSize !== plan.blockSize) throw new Error(`measured at blocks of ${rate.blockSize}, the plan uses ${plan.blockSize}`);
  const optimizerMs = Math.min(Math.max(rate.optimizerMs, 0), rate.stepMs);
  const gradientMs = rate.stepMs - optimizerMs;
  const trainMs = plan.trainBlockPasses * gradientMs + plan.totalSteps * optimizerMs;
  const evalMs = (plan.validations * plan.valBlocks * plan.blockSize * 1000) / rate.evalTokensPerSec;
  return { seconds: (trainMs + evalMs) / 1000, trainSeconds: trainMs / 1000, evalSeconds: evalMs / 1000 };
}

/** Step and validation times measured at a real shape (bench/budget.ts): a step of `batchSize` blocks, a validation per block. */
export interface MeasuredStepTimes {
  /** Working time of one optimizer step of the plan's batch (forward + backward of each block, clipping, AdamW). */
  msPerStep: number;
  /** Working time of validating one block (forward only). */
  evalMsPerBlock: number;
}

export interface EarlyStopProjection extends Projection {
  /** Epochs trained before early stopping ends the run. */
  epochs: number;
  steps: number;
  validations: number;
}

/**
 * Time to a bot with early stopping, as the page runs "until it stops improving": validation
 * before training and after every epoch (the default `evalEvery`), stop once `patience`
 * validations in a row did not improve on the best. The epoch of the best validation loss is an
 * assumption (`bestEpoch`, 0 = never better than before training): the run then ends after epoch
 * `bestEpoch + patience`, capped at `maxEpochs`.
 */
export function projectEarlyStop(plan: CorpusPlan, times: MeasuredStepTimes, opts: { bestEpoch: number; patience: number; maxEpochs: number }): EarlyStopProjection {
  const epochs = Math.min(opts.maxEpochs, Math.max(0, opts.bestEpoch) + opts.patience);
  const steps = epochs * plan.stepsPerEpoch;
  const validations = plan.valBlocks > 0 ? epochs + 1 : 0;
  const trainSeconds = (steps * times.msPerStep) / 1000;
  const evalSeconds = (validations * plan.valBlocks * times.evalMsPerBlock) / 1000;
  return { epochs, steps, validations, trainSeconds, evalSeconds, seconds: trainSeconds + evalSeconds };
}
