/**
 * The copy check wired to the archives: one index over every kept tweet of every archive (not the
 * balanced training list, which repeats tweets), rebuilt only when the archives change, and the
 * answer in the page's terms (the original, its date, whose it is).
 */
import { buildCopyIndex, findCopy, textWords, type CopyIndex } from '../generate/copies';
import type { CopyInfo } from './api';
import type { StoredArchive } from './archives';

export class CopyChecker {
  private index: CopyIndex | null = null;
  /** The tweet lists the index was built from (the archives' own arrays: a change replaces them). */
  private builtFrom: Array<string[]> = [];
  private owners: Array<{ archive: StoredArchive; start: number }> = [];

  constructor(private readonly archives: () => StoredArchive[]) {}

  /** The index for the archives as they are now (built once per change of the training data). */
  private current(): CopyIndex {
    const items = this.archives();
    const same = this.index !== null && items.length === this.builtFrom.length && items.every((a, i) => a.tweets === this.builtFrom[i]);
    if (same) return this.index as CopyIndex;
    const kept: string[] = [];
    this.owners = [];
    for (const archive of items) {
      this.owners.push({ archive, start: kept.length });
      for (const t of archive.tweets) kept.push(t);
    }
    this.builtFrom = items.map((a) => a.tweets);
    this.index = buildCopyIndex(kept);
    return this.index;
  }

  /** Builds the index now (after the archives changed), so the first check does not wait. */
  refresh(): void {
    this.current();
  }

  check(text: string): CopyInfo | null {
    const found = findCopy(this.current(), text);
    if (!found) return null;
    let owner = this.owners[0];
    for (const o of this.owners) if (o.start <= found.tweet) owner = o;
    const i = found.tweet - owner.start;
    const s = owner.archive.summary;
    return {
      original: owner.archive.tweets[i],
      date: owner.archive.tweetDates?.[i] ?? null,
      username: s.username || s.fileName,
      run: found.run,
      words: textWords(text).length,
    };
  }
}
