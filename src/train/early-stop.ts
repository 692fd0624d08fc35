/**
 * Early stopping and the best checkpoint, from the validation losses of a run.
 *
 * A loss that is NaN or infinite never counts: it is never the best and never an improvement.
 */

export interface Validation {
  step: number;
  loss: number;
}

/** The step of the lowest validation loss (ties: the earlier step); null when none counts. */
export function bestCheckpoint(validations: Array<{ step: number; loss: number }>): number | null {
  let best: Validation | null = null;
  for (const v of validations) {
    if (!Number.isFinite(v.loss)) continue;
    if (best === null || v.loss < best.loss || (v.loss === best.loss && v.step < best.step)) best = v;
  }
  return best === null ? null : best.step;
}

/**
 * True when none of the last `patience` validations improved on the best loss before them;
 * false while there are `patience` or fewer validations (or patience is 0: early stopping off).
 */
export function shouldStop(validations: Array<{ step: number; loss: number }>, patience: number): boolean {
  if (!(patience >= 1) || validations.length <= patience) return false;
  const cut = validations.length - patience;
  let best = Infinity;
  for (const v of validations.slice(0, cut)) if (Number.isFinite(v.loss) && v.loss < best) best = v.loss;
  return validations.slice(cut).every((v) => !(Number.isFinite(v.loss) && v.loss < best));
}
