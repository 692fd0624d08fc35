/**
 * The archives the person dropped in this session: parsed in the worker, de-duplicated by
 * identity, merged into one bot's training texts. Only the cleaned kept tweets and the summary
 * ever leave this module (to the page, and to storage when kept).
 */
import { charCount, checkTrainingText, END_OF_TEXT, mergeArchives, readArchive, readArchiveFolder, type ParsedArchive } from '../archive/index';
import type { ArchiveInput, ArchiveSummary, TrainingDataInfo } from './api';
import { formatInt } from '../locale';

export interface StoredArchive {
  summary: ArchiveSummary;
  tweets: string[];
  /** ISO date of each kept tweet (parallel to tweets), when known: the copy check shows the original's date. */
  tweetDates?: Array<string | null>;
  /**
   * When it was added (ms, strictly increasing within a page): storage returns archives in this
   * order, so the merged training texts, the bot's name and a checkpoint's dataset are the same
   * after a reload (renaming keeps it).
   */
  addedAt?: number;
}

export class ArchiveSet {
  private readonly items: StoredArchive[] = [];
  private lastAdded = 0;

  /** Parses an input; returns the archive and whether it was already here (counted once). */
  async add(input: ArchiveInput): Promise<{ item: StoredArchive; duplicate: boolean }> {
    const parsed = input.kind === 'file' ? await readArchive(input.file) : await readArchiveFolder(input.files);
    const fileName = input.kind === 'file' ? input.name : (input.files[0]?.path.split('/')[0] ?? 'folder');
    const existing = this.items.find((a) => a.summary.id === parsed.identity);
    if (existing) return { item: existing, duplicate: true };
    this.lastAdded = Math.max(Date.now(), this.lastAdded + 1);
    const item: StoredArchive = { summary: summarize(parsed, fileName), tweets: parsed.tweets, tweetDates: parsed.tweetDates, addedAt: this.lastAdded };
    this.items.push(item);
    return { item, duplicate: false };
  }

  restore(items: StoredArchive[]): void {
    // Archives kept before Bluesky and Mastodon were read are X archives without these fields.
    const upgraded = items.map((item) => ({ ...item, summary: withDefaults(item.summary) }));
    this.items.splice(0, this.items.length, ...upgraded);
    this.lastAdded = Math.max(this.lastAdded, ...items.map((a) => a.addedAt ?? 0));
  }

  remove(id: string): void {
    const i = this.items.findIndex((a) => a.summary.id === id);
    if (i >= 0) this.items.splice(i, 1);
  }

  rename(id: string, username: string, displayName: string): void {
    const item = this.items.find((a) => a.summary.id === id);
    if (item) item.summary = { ...item.summary, username, displayName };
  }

  clear(): void {
    this.items.length = 0;
  }

  get all(): StoredArchive[] {
    return [...this.items];
  }

  summaries(): ArchiveSummary[] {
    return this.items.map((a) => ({ ...a.summary, chars: keptChars(a.tweets) }));
  }

  /** The merged, balanced training texts (huggingtweets' balancing) and the bot's name. */
  merged(): { botName: string; usernames: string[]; displayNames: string[]; texts: string[] } {
    return mergeArchives(this.items.map((a) => ({ ...toParsed(a) })));
  }

  /**
   * Whether there is enough text, judged on the tweets as written: balancing repeats smaller
   * archives, which adds no new text, so its total is reported apart (`balancedChars`, `balance`).
   */
  info(): TrainingDataInfo | null {
    if (this.items.length === 0) return null;
    const m = this.merged();
    if (m.texts.length === 0) {
      return { botName: m.botName, usernames: m.usernames, displayNames: m.displayNames, chars: 0, level: 'empty', message: 'Nothing to learn from: every tweet is a retweet or too short.', balancedChars: 0, balance: '' };
    }
    const check = checkTrainingText(this.items.flatMap((a) => a.tweets));
    const balancedChars = checkTrainingText(m.texts).chars;
    return { botName: m.botName, usernames: m.usernames, displayNames: m.displayNames, chars: check.chars, level: check.level, message: check.message, balancedChars, balance: this.balance() };
  }

  /** How huggingtweets' balancing weighs each person: everyone's tweets repeat up to the largest archive's characters. */
  private balance(): string {
    const people = this.items.map((a) => ({ who: a.summary.username ? `@${a.summary.username}` : a.summary.fileName, chars: keptChars(a.tweets) })).filter((p) => p.chars > 0);
    if (people.length < 2) return '';
    const most = Math.max(...people.map((p) => p.chars));
    const n = formatInt;
    const weights = people.map((p) => `${p.who} ${p.chars === most ? 'once' : `about ${(most / p.chars).toFixed(1)}×`}`).join(', ');
    return `Balancing: each person weighs the same, so each epoch repeats the smaller archives up to ${n(most)} characters each (${weights}).`;
  }

  /** One line for the model library and the card: who the bot was trained on. */
  describe(): string {
    return this.items.map((a) => `@${a.summary.username || a.summary.displayName || a.summary.fileName}: ${a.summary.stats.kept} ${a.summary.network === 'x' ? 'tweets' : 'posts'} kept of ${a.summary.stats.downloaded}`).join('; ');
  }
}

function withDefaults(summary: ArchiveSummary): ArchiveSummary {
  const s = summary as Partial<ArchiveSummary> & Pick<ArchiveSummary, 'stats'>;
  return { ...summary, network: s.network ?? 'x', accountId: s.accountId ?? '', stats: { ...summary.stats, direct: s.stats.direct ?? 0 } };
}

/** Characters of the kept tweets as written, counted as checkTrainingText counts them (one separator between tweets). */
function keptChars(tweets: string[]): number {
  let total = 0;
  for (const t of tweets) total += charCount(t);
  return tweets.length === 0 ? 0 : total + END_OF_TEXT.length * (tweets.length - 1);
}

function summarize(p: ParsedArchive, fileName: string): ArchiveSummary {
  return {
    id: p.identity,
    fileName,
    network: p.network,
    accountId: p.accountId,
    username: p.username,
    displayName: p.displayName,
    stats: { ...p.stats },
    firstDate: p.firstDate,
    lastDate: p.lastDate,
    samples: p.samples,
    filesRead: p.filesRead,
    avatar: p.avatar,
  };
}

function toParsed(a: StoredArchive): ParsedArchive {
  const s = a.summary;
  return {
    network: s.network,
    username: s.username,
    displayName: s.displayName,
    accountId: s.accountId,
    identity: s.id,
    stats: s.stats,
    tweets: a.tweets,
    firstDate: s.firstDate,
    lastDate: s.lastDate,
    samples: s.samples,
    filesRead: s.filesRead,
    tweetDates: a.tweetDates,
    avatar: s.avatar ?? null,
  };
}
