import { describe, expect, it } from 'vitest';
import { matchNotes, notesFromEntries } from '../../../src/archive/notes';
import type { RawTweet } from '../../../src/archive/tweets';

const second = Date.UTC(2023, 0, 5, 12, 34, 56);
const tweet = (id: string, fullText: string, time = second): RawTweet => ({ id, idNum: BigInt(id), time, fullText });

describe('notesFromEntries', () => {
  it('reads createdAt and core.text', () => {
    const notes = notesFromEntries([
      { noteTweet: { noteTweetId: '9', createdAt: '2023-01-05T12:34:56.000Z', core: { text: 'full' } } },
      { noteTweet: { createdAt: '2023-01-05T12:34:56.000Z' } },
      'junk',
    ]);
    expect(notes).toEqual([{ time: second, text: 'full' }]);
  });
});

describe('matchNotes', () => {
  it('matches by same second and prefix, even with two cut tweets in that second', () => {
    const a = tweet('1', 'Apples are the best fruit for pies and… https://t.co/aaaa');
    const b = tweet('2', 'Bread needs time, patience &amp; a warm… https://t.co/bbbb');
    const notes = [
      { time: second + 400, text: 'Bread needs time, patience & a warm kitchen above all else.' },
      { time: second + 900, text: 'Apples are the best fruit for pies and crumbles, fight me.' },
    ];
    const matched = matchNotes([a, b], notes);
    expect(matched.get(a)).toBe('Apples are the best fruit for pies and crumbles, fight me.');
    expect(matched.get(b)).toBe('Bread needs time, patience & a warm kitchen above all else.');
  });
  it('needs the same second: a note a second later matches nothing', () => {
    const a = tweet('1', 'Apples are the best… https://t.co/a');
    expect(matchNotes([a], [{ time: second + 1000, text: 'Apples are the best, really.' }]).size).toBe(0);
  });
  it('prefers the longest matching prefix and ignores tweets without "…" and retweets', () => {
    const short = tweet('1', 'Apples… https://t.co/a');
    const long = tweet('2', 'Apples are the best… https://t.co/b');
    const plain = tweet('3', 'Apples are the best fruit');
    const rt = tweet('4', 'RT @x: Apples are the best fruit…');
    const matched = matchNotes([short, long, plain, rt], [{ time: second, text: 'Apples are the best fruit ever.' }]);
    expect([...matched.keys()]).toEqual([long]);
  });
  it('ignores a note whose text does not continue any tweet', () => {
    const a = tweet('1', 'Apples are… https://t.co/a');
    expect(matchNotes([a], [{ time: second, text: 'Pears are fine.' }]).size).toBe(0);
  });
});
