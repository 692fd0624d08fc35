/**
 * Several people, one bot: huggingtweets' balancing, and its thresholds on how much text is
 * enough to train on.
 */
import { formatInt } from '../locale';
import { mulberry32 } from '../random';
import type { Network, ParsedArchive } from './types';

export const END_OF_TEXT = '<|endoftext|>';
/** Under this many characters (texts joined with <|endoftext|>) training is refused. */
export const REFUSE_BELOW_CHARS = 6_000;
/** Under this many, training runs but the page warns that results will be weak. */
export const WARN_BELOW_CHARS = 40_000;

export interface MergedTrainingSet {
  /**
   * The sorted distinct usernames joined with '-' (a Bluesky export without a typed handle gives
   * its display name), or 'bot' when no archive has a name.
   */
  botName: string;
  /** One per archive, in the order given. */
  usernames: string[];
  displayNames: string[];
  /** The balanced training texts, deterministically shuffled (see mergeArchives). */
  texts: string[];
}

export interface TrainingTextCheck {
  chars: number;
  level: 'refuse' | 'warn' | 'ok';
  message: string;
}

/** Characters as Python's len() counts them (code points), as huggingtweets measured. */
export function charCount(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        surrogatePairs++;
        i++;
      }
    }
  }
  return text.length - surrogatePairs;
}

function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function totalChars(texts: string[]): number {
  let total = 0;
  for (const text of texts) total += charCount(text);
  return total;
}

/**
 * One epoch of balanced training texts, as huggingtweets built each epoch: the person with the
 * most characters contributes their tweets once; every other person's tweets are shuffled and
 * then cycled through (whole list, then again from its start) until their characters reach at
 * least that maximum. Unlike huggingtweets, which kept each person's block together, the whole
 * epoch is then shuffled, so a split of the list into train/validation draws from everyone.
 * Shuffling uses a fixed seed: the same archives give the same texts. A single archive gives
 * its own tweets, shuffled. `archive.tweets` keeps the oldest-first order for display.
 */
export function mergeArchives(
  archives: Array<Pick<ParsedArchive, 'username' | 'displayName' | 'tweets'> & { network?: Network }>,
  options: { seed?: number } = {},
): MergedTrainingSet {
  const random = mulberry32(options.seed ?? 0x7eed);
  const perPerson = archives.map((archive) => ({ tweets: archive.tweets, chars: totalChars(archive.tweets) }));
  const target = Math.max(0, ...perPerson.map((p) => p.chars));
  const texts: string[] = [];
  for (const person of perPerson) {
    if (person.tweets.length === 0 || person.chars === 0) continue;
    const order = shuffleInPlace(person.tweets.slice(), random);
    let chars = 0;
    for (let i = 0; chars < target; i++) {
      const text = order[i % order.length];
      texts.push(text);
      chars += charCount(text);
    }
  }
  shuffleInPlace(texts, random);
  const usernames = archives.map((a) => a.username);
  // The handle is not in a Bluesky export: until the person types it, the display name stands in.
  const botNames = archives.map((a) => a.username || (a.network === 'bluesky' ? a.displayName : ''));
  const names = [...new Set(botNames.filter((u) => u !== ''))].sort();
  return {
    botName: names.length ? names.join('-') : 'bot',
    usernames,
    displayNames: archives.map((a) => a.displayName),
    texts,
  };
}

/** Characters of `texts` joined with <|endoftext|>, and whether that is enough to train on. */
export function checkTrainingText(texts: string[]): TrainingTextCheck {
  const chars = texts.length === 0 ? 0 : totalChars(texts) + END_OF_TEXT.length * (texts.length - 1);
  const n = formatInt;
  if (chars < REFUSE_BELOW_CHARS) {
    return {
      chars,
      level: 'refuse',
      message: `Only ${n(chars)} characters of tweets remain after cleaning; training needs at least ${n(REFUSE_BELOW_CHARS)}. Add a bigger archive or more people.`,
    };
  }
  if (chars < WARN_BELOW_CHARS) {
    return {
      chars,
      level: 'warn',
      message: `${n(chars)} characters of tweets is enough to train, but under ${n(WARN_BELOW_CHARS)}: the bot will only weakly sound like the account.`,
    };
  }
  return { chars, level: 'ok', message: `${n(chars)} characters of tweets: enough to train.` };
}
