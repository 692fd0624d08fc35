import { describe, expect, it } from 'vitest';
import { bestCheckpoint, shouldStop } from '../../../src/train/early-stop';

const v = (...losses: number[]) => losses.map((loss, i) => ({ step: i * 10, loss }));

describe('bestCheckpoint', () => {
  it('is the step of the lowest validation loss', () => {
    expect(bestCheckpoint(v(3, 2.5, 2.1, 2.4, 2.6))).toBe(20);
  });
  it('keeps the earlier step on a tie, whatever the order given', () => {
    expect(bestCheckpoint(v(3, 2, 2.5, 2))).toBe(10);
    expect(bestCheckpoint([{ step: 30, loss: 2 }, { step: 10, loss: 2 }])).toBe(10);
  });
  it('never counts a NaN or infinite loss, and is null when none counts', () => {
    expect(bestCheckpoint(v(NaN, 2.5, -Infinity, Infinity))).toBe(10);
    expect(bestCheckpoint(v(NaN, Infinity))).toBeNull();
    expect(bestCheckpoint([])).toBeNull();
  });
});

describe('shouldStop', () => {
  it('is false while there are patience or fewer validations', () => {
    expect(shouldStop(v(3, 4), 2)).toBe(false);
    expect(shouldStop(v(3), 1)).toBe(false);
  });
  it('stops when none of the last `patience` validations improved on the best before them', () => {
    expect(shouldStop(v(3, 2, 2.1, 2.2), 2)).toBe(true);
    expect(shouldStop(v(3, 2, 2.1, 1.9), 2)).toBe(false);
    expect(shouldStop(v(3, 2, 2.1), 2)).toBe(false); // only one non-improving validation yet
    expect(shouldStop(v(3, 2, 2.1), 1)).toBe(true);
    // An equal loss is no improvement.
    expect(shouldStop(v(3, 2, 2, 2), 2)).toBe(true);
  });
  it('treats NaN and infinite losses as no improvement', () => {
    expect(shouldStop(v(3, 2, NaN, -Infinity), 2)).toBe(true);
    expect(shouldStop(v(NaN, 5, NaN, Infinity), 2)).toBe(true);
    expect(shouldStop(v(NaN, NaN, 5), 2)).toBe(false); // the first finite loss improves on none
  });
  it('never stops with patience 0 (early stopping off)', () => {
    expect(shouldStop(v(1, 2, 3, 4, 5), 0)).toBe(false);
  });
});
