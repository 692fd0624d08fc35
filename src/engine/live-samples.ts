/**
 * Live samples: at each validation the session writes two short tweets with fixed prompts and
 * seeds, checked for copies like every card, so the person watches the bot learn their voice.
 * They are written between steps (the trainer waits; their time counts as the validation's, so a
 * time budget plans for it), and only when the last ones took no more than LIVE_SAMPLE_SHARE of the
 * working time since them.
 */
import type { CopyInfo, LiveSample } from './api';
import type { LoadedModel } from './loaded-model';
import { writeTweet } from './writing';

/** Fixed prompts and seeds: the same two tweets at every validation, so the change is the model's. */
export const LIVE_SAMPLES: ReadonlyArray<{ prompt: string; seed: number }> = [
  { prompt: 'I', seed: 7 },
  { prompt: 'Today', seed: 11 },
];

/** The most of the training time live samples may take (issue 20: never 5% of the step time). */
export const LIVE_SAMPLE_SHARE = 0.05;

/** New tokens per live sample: short, so they cost little next to a validation. */
export const LIVE_SAMPLE_TOKENS = 16;

export async function liveSamples(model: LoadedModel, check: (text: string) => CopyInfo | null, signal: AbortSignal): Promise<LiveSample[]> {
  const out: LiveSample[] = [];
  for (const { prompt, seed } of LIVE_SAMPLES) {
    if (signal.aborted) break;
    const text = await writeTweet(model, prompt, { maxNewTokens: LIVE_SAMPLE_TOKENS, temperature: 1, topK: 50, topP: 1 }, seed, signal);
    out.push({ prompt, seed, text, copy: check(text) });
  }
  return out;
}
