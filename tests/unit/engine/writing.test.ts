import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CopyInfo, GenerateEvent, GenerateSettings } from '../../../src/engine/api';
import type { LoadedModel } from '../../../src/engine/loaded-model';
import { MAX_TRIES, writeTweets } from '../../../src/engine/writing';
import { tinyModel, tinyTokenizer, useCpu } from '../train/setup';

let model: LoadedModel;
beforeAll(async () => {
  await useCpu();
  model = { gpt2: await tinyModel(), tokenizer: tinyTokenizer(), files: {}, info: {} as LoadedModel['info'] };
});
afterAll(() => model.gpt2.dispose());

const settings: GenerateSettings = { prompt: 'hello', count: 2, maxNewTokens: 3, temperature: 1, topK: 50, topP: 1, seed: 5, onlyNew: true };
const copy: CopyInfo = { original: 'x', date: null, username: 'u', run: 8, words: 8 };

async function run(s: GenerateSettings, check: (text: string) => CopyInfo | null) {
  const events: GenerateEvent[] = [];
  const texts = await writeTweets(model, s, check, new AbortController().signal, (e) => events.push(e));
  return { texts, done: events.filter((e) => e.done) };
}

describe('writeTweets', () => {
  it('with only new tweets, replaces a copy by the next seed’s sample, and gives up after MAX_TRIES', async () => {
    const before = tf.memory().numTensors;
    const plain = await run({ ...settings, onlyNew: false }, () => null);
    // Every sample copies: each card tries MAX_TRIES seeds, then shows the last one and says it gave up.
    const seen: string[] = [];
    const stubborn = await run(settings, (t) => (seen.push(t), copy));
    expect(seen).toHaveLength(settings.count * MAX_TRIES);
    expect(stubborn.done.map((e) => [e.replaced, e.gaveUp, e.copy])).toEqual([[MAX_TRIES - 1, true, copy], [MAX_TRIES - 1, true, copy]]);
    // Card 0's first try is seed 5, its second seed 5 + count: the tries are fresh samples.
    expect(seen[0]).toBe(plain.texts[0]);
    // Only the first try of card 0 copies: it is replaced once, card 1 is untouched.
    let calls = 0;
    const once = await run(settings, () => (calls++ === 0 ? copy : null));
    expect(once.done.map((e) => [e.replaced, e.gaveUp, e.copy])).toEqual([[1, false, null], [0, false, null]]);
    expect(once.texts[1]).toBe(plain.texts[1]);
    expect(once.texts[0]).toBe(seen[1]);
    // Without the option a copy is shown (and flagged), never replaced.
    const shown = await run({ ...settings, onlyNew: false }, () => copy);
    expect(shown.done.map((e) => [e.replaced, e.gaveUp, e.copy])).toEqual([[0, false, copy], [0, false, copy]]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
