/**
 * "Is it any good?", wired: per-person validation loss before and after fine-tuning for a merged
 * bot, the fixed set of seeded tweets written after training (and how many copy a training
 * tweet), and the rounds of the "Real or bot?" game (a held-out tweet against a generated one).
 */
import { mixSeed, mulberry32, permutation } from '../random';
import { validationTexts } from '../train/dataset';
import { groupByPerson, textsLoss } from '../train/validation-by-person';
import type { CopyInfo, GameRound, PersonQuality, QualityReport, SeededSample } from './api';
import type { StoredArchive } from './archives';
import type { LoadedModel } from './loaded-model';
import type { SessionMeta } from './training';
import { MAX_TRIES, writeTweet, type SampleSettings } from './writing';

/** The seeded tweets written after every fine-tune: always the same prompt, seeds and settings. */
export const SEEDED_TWEETS = 20;
export const SEEDED_FIRST_SEED = 1000;
export const SEEDED_PROMPT = '';
export const SEEDED_SETTINGS: SampleSettings = { maxNewTokens: 40, temperature: 1, topK: 50, topP: 1 };
/** The seeded tweets the model card shows. */
export const CARD_SAMPLES = 5;

/** One person's validation tweets and the mean loss on them (null: too few to measure). */
export interface PersonLoss {
  valTweets: number;
  loss: number | null;
}

/** Validation loss per person (only for a bot merged from two or more archives), with the split training uses. */
export async function peopleLosses(model: LoadedModel, archives: StoredArchive[], merged: string[], seed: number, blockSize: number): Promise<PersonLoss[]> {
  if (archives.length < 2) return [];
  const groups = groupByPerson(validationTexts(merged, { seed }), archives.map((a) => a.tweets));
  const out: PersonLoss[] = [];
  for (const texts of groups) out.push({ valTweets: texts.length, loss: await textsLoss(model.gpt2, model.tokenizer, texts, blockSize) });
  return out;
}

export function peopleQuality(archives: StoredArchive[], before: PersonLoss[] | null, after: PersonLoss[]): PersonQuality[] {
  return after.map((a, i) => ({
    username: archives[i]?.summary.username ?? '',
    displayName: archives[i]?.summary.displayName ?? '',
    valTweets: a.valTweets,
    valLossBefore: before?.[i]?.loss ?? null,
    valLossAfter: a.loss,
  }));
}

/** The fixed set of seeded tweets, each checked for copies. */
export async function seededSamples(model: LoadedModel, check: (text: string) => CopyInfo | null, signal: AbortSignal): Promise<SeededSample[]> {
  const out: SeededSample[] = [];
  for (let i = 0; i < SEEDED_TWEETS && !signal.aborted; i++) {
    const seed = SEEDED_FIRST_SEED + i;
    const text = await writeTweet(model, SEEDED_PROMPT, SEEDED_SETTINGS, seed, signal);
    out.push({ prompt: SEEDED_PROMPT, seed, text, copy: check(text) });
  }
  return out;
}

export function qualityReport(valLossBefore: number, valLossAfter: number, people: PersonQuality[], samples: SeededSample[]): QualityReport {
  return { valLossBefore, valLossAfter, people, samples, sampleSettings: { ...SEEDED_SETTINGS }, copies: samples.filter((s) => s.copy !== null).length };
}

/**
 * Round `round` of "Real or bot?": the held-out tweets (the validation split of the model's own
 * training seed, so never trained on) visited in a seeded order, against a fresh generated tweet
 * that is not a copy (a few tries).
 */
export async function gameRound(model: LoadedModel, merged: string[], seed: number, round: number, check: (text: string) => CopyInfo | null, signal: AbortSignal): Promise<GameRound> {
  const heldOut = validationTexts(merged, { seed });
  if (heldOut.length === 0) throw new Error('There are no held-out tweets to play with: add an archive with more tweets.');
  const order = permutation(heldOut.length, mulberry32(mixSeed(seed, 0x9a3e)));
  const real = heldOut[order[((round % heldOut.length) + heldOut.length) % heldOut.length]];
  let bot = '';
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    bot = (await writeTweet(model, '', SEEDED_SETTINGS, mixSeed(seed, round, attempt + 1) >>> 0, signal)).trim();
    if (bot !== '' && check(bot) === null) break;
  }
  const realIndex = (mulberry32(mixSeed(seed, round, 0x51de))() < 0.5 ? 0 : 1) as 0 | 1;
  return { texts: realIndex === 0 ? [real, bot] : [bot, real], realIndex };
}

/**
 * After training: each person's validation loss (a merged bot; `meta.peopleBefore` holds them
 * before), and SEEDED_TWEETS seeded tweets checked for copies. `say` reports each stage.
 */
export async function measureQuality(
  model: LoadedModel,
  archives: StoredArchive[],
  merged: string[],
  meta: Pick<SessionMeta, 'settings' | 'peopleBefore'>,
  result: { valLossBefore: number; valLossAfter: number },
  check: (text: string) => CopyInfo | null,
  say: (message: string) => void,
): Promise<QualityReport> {
  if (archives.length > 1) say('Measuring each person’s validation loss after training…');
  const after = await peopleLosses(model, archives, merged, meta.settings.seed, meta.settings.blockSize);
  say(`Writing ${SEEDED_TWEETS} seeded tweets to check whether the bot copies…`);
  const samples = await seededSamples(model, check, new AbortController().signal);
  return qualityReport(result.valLossBefore, result.valLossAfter, peopleQuality(archives, meta.peopleBefore ?? null, after), samples);
}
