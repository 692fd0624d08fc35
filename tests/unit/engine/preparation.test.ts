import { describe, expect, it } from 'vitest';
import type { TrainProgress, TrainSettings } from '../../../src/engine/api';
import type { LoadedModel } from '../../../src/engine/loaded-model';
import { datasetFor, defaultSettings, PreparationCancelled, PreparationGate } from '../../../src/engine/training';
import { buildDataset } from '../../../src/train/dataset';

/** "w12 w7" → [12, 7], counting the tweets it encodes; `msPerTweet` of busy work each, like a real tokenizer. */
function wordModel(msPerTweet = 0) {
  const counter = { encoded: 0 };
  const tokenizer = {
    eosId: 0,
    encode: (text: string) => {
      counter.encoded++;
      for (const end = performance.now() + msPerTweet; performance.now() < end; );
      return text.split(' ').map((w) => Number(w.slice(1)));
    },
  };
  const model = { tokenizer, gpt2: { config: { nPositions: 1024 } } } as unknown as LoadedModel;
  return { model, counter };
}

const texts = Array.from({ length: 5000 }, (_, k) => `w${1 + (k % 300)} w${2 + (k % 7)} w${3 + (k % 11)}`);
const settings: TrainSettings = { ...defaultSettings(null, 'bot'), blockSize: 16, seed: 5 };

describe('the dataset of a training session', () => {
  it('is built in chunks with progress, equal to the one-call build', async () => {
    const { model } = wordModel();
    const progress: TrainProgress[] = [];
    const ds = await datasetFor(model, texts, settings, new PreparationGate(), (p) => progress.push(p));
    expect(ds).toEqual(buildDataset(texts, model.tokenizer, { blockSize: 16, nPositions: 1024, seed: 5 }));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.phase === 'preparing')).toBe(true);
    expect(progress[progress.length - 1].prepared).toEqual({ done: 5000, total: 5000 });
    expect(progress[progress.length - 1].message).toMatch(/5,000 of 5,000/);
  });

  it('waits while paused and stops, tokenizing no further, when cancelled', async () => {
    // 0.05 ms a tweet: 250 ms in all, so the build pauses every ~50 ms of work (sliceMs).
    const { model, counter } = wordModel(0.05);
    const gate = new PreparationGate();
    gate.pause();
    const build = datasetFor(model, texts, settings, gate);
    const outcome = build.then(
      () => 'built',
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 150));
    // Paused at the first slice boundary, a whole number of 250-tweet chunks in: nothing more is tokenized while it waits.
    const whilePaused = counter.encoded;
    expect(whilePaused % 250).toBe(0);
    expect(whilePaused).toBeGreaterThan(0);
    expect(whilePaused).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 50));
    expect(counter.encoded).toBe(whilePaused);
    gate.cancel();
    expect(await outcome).toBeInstanceOf(PreparationCancelled);
    expect(counter.encoded).toBe(whilePaused);
  });

  it('goes on after a resume', async () => {
    const { model, counter } = wordModel(0.05);
    const gate = new PreparationGate();
    gate.pause();
    const build = datasetFor(model, texts, settings, gate);
    await new Promise((r) => setTimeout(r, 150));
    expect(gate.isPaused).toBe(true);
    expect(counter.encoded).toBeLessThan(5000);
    gate.resume();
    expect((await build).trainTweets + (await build).valTweets).toBe(5000);
  });
});
