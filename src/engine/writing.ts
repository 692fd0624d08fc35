/**
 * Writing tweets in the worker: one tweet streamed token by token, and a set of cards where
 * "only new tweets" replaces any tweet that copies a training tweet with a fresh sample (a few
 * tries, then it gives up and says so).
 */
import { generate } from '../generate/generate';
import type { CopyInfo, GenerateEvent, GenerateSettings } from './api';
import type { LoadedModel } from './loaded-model';
import { nextTask } from './next-task';

/** Fresh samples tried per card before "only new tweets" gives up. */
export const MAX_TRIES = 5;

export type SampleSettings = Pick<GenerateSettings, 'maxNewTokens' | 'temperature' | 'topK' | 'topP'>;

/** One tweet: the prompt, then the sampled continuation; `onText` sees it grow. */
export async function writeTweet(model: LoadedModel, prompt: string, settings: SampleSettings, seed: number, signal: AbortSignal, onText?: (text: string) => void): Promise<string> {
  const { tokenizer, gpt2 } = model;
  const decoder = tokenizer.streamDecoder();
  let text = prompt;
  onText?.(text);
  for await (const id of generate(gpt2, tokenizer.encode(prompt), {
    maxNewTokens: settings.maxNewTokens,
    temperature: settings.temperature,
    topK: settings.topK,
    topP: settings.topP,
    seed,
    eosId: tokenizer.eosId,
    signal,
  })) {
    // On wasm and cpu a token's data() resolves without leaving the task, so the worker would
    // not see "stop" until the end: let its message queue run once per token.
    await nextTask();
    const piece = decoder.push(id);
    if (piece) {
      text += piece;
      onText?.(text);
    }
  }
  // A length cut can end inside a multi-byte character: drop its half rather than show U+FFFD.
  return text + decoder.flush().replace(/\uFFFD+$/, '');
}

/**
 * `settings.count` cards, card i from seed `seed + i`; with `onlyNew`, a copy is replaced by the
 * sample of seed `seed + i + count·try` for up to MAX_TRIES tries.
 */
export async function writeTweets(model: LoadedModel, settings: GenerateSettings, check: (text: string) => CopyInfo | null, signal: AbortSignal, onEvent: (e: GenerateEvent) => void): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < settings.count && !signal.aborted; i++) {
    let replaced = 0;
    for (let attempt = 0; ; attempt++) {
      const seed = settings.seed + i + settings.count * attempt;
      const text = await writeTweet(model, settings.prompt, settings, seed, signal, (t) => onEvent({ index: i, text: t, done: false, replaced }));
      const copy = check(text);
      const retry = settings.onlyNew === true && copy !== null && attempt + 1 < MAX_TRIES && !signal.aborted;
      if (retry) {
        replaced++;
        continue;
      }
      out.push(text);
      onEvent({ index: i, text, done: true, copy, replaced, gaveUp: settings.onlyNew === true && copy !== null && !signal.aborted });
      break;
    }
  }
  return out;
}

