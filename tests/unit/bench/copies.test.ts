import { describe, expect, it } from 'vitest';
import type { CopyFigures } from '../../../bench/copies';
import { measureCopies, syntheticTweets } from '../../../bench/copies';
import { buildRows, type BenchResults } from '../../../bench/report';

const figures: CopyFigures = {
  tweets: 100_000,
  words: 1_425_966,
  segmenterShare: 0.2,
  buildMs: [659, 442, 508],
  checks: 4000,
  checkMedianMs: 0.01,
  checkP99Ms: 0.065,
  checkMaxMs: 15.6,
  copiesFound: 2033,
  verbatimFlagged: 1000,
  verbatimChecked: 1000,
  shortcutCompared: 30_000,
  shortcutMismatches: [],
};

const results = (copies: BenchResults['copies']): BenchResults => ({ date: '2026-11-30', environment: {}, training: [], durations: {}, copies });

describe('the copy-check bench rows', () => {
  it('report the median build and the per-check times, and check that every verbatim tweet is flagged', () => {
    const { rows, checks } = buildRows(results(figures));
    expect(rows.map((r) => [r.figure, r.value])).toEqual([
      ['Copy check: build the index of 100,000 tweets', '508 ms'],
      ['Copy check: one generated tweet', '10 µs'],
    ]);
    expect(rows[1].detail).toContain('99th percentile 65 µs, worst 15.60 ms');
    expect(checks).toEqual([
      { name: 'every verbatim kept tweet is flagged as a copy', ok: true, detail: '1000 of 1000' },
      { name: 'the Latin-text shortcut splits words as this browser’s Intl.Segmenter', ok: true, detail: '30000 texts' },
    ]);
    expect(buildRows(results({ ...figures, shortcutMismatches: ['a:b'] })).checks[1].ok).toBe(false);
    expect(buildRows(results({ ...figures, verbatimFlagged: 999 })).checks[0].ok).toBe(false);
  });

  it('a failed phase is a failed row', () => {
    expect(buildRows(results({ error: 'copies: boom' })).rows).toEqual([{ figure: 'Copy check: build the index', value: 'failed', detail: 'boom' }]);
  });

  it('measures on a small corpus (the same code the bench runs)', () => {
    expect(syntheticTweets(50, 1)).toEqual(syntheticTweets(50, 1));
    const f = measureCopies({ tweets: 2000, checks: 200, builds: 1, log: () => {} });
    expect(f.tweets).toBe(2000);
    expect(f.verbatimFlagged).toBe(f.verbatimChecked);
    expect(f.verbatimChecked).toBeGreaterThan(0);
    expect(f.shortcutCompared).toBeGreaterThan(2000);
    expect(f.shortcutMismatches).toEqual([]);
  });
});
