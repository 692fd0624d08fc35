/**
 * The best checkpoint of a run: a copy of the trained variables at the validation with the lowest
 * loss (ties: the earlier step, as `bestCheckpoint` rules), put back into the model when training
 * ends, so the bot that is saved, written with and exported is the best one seen, not the last.
 *
 * The copy lives in plain Float32Arrays (no GPU memory) and travels in the training checkpoint
 * (`best/<name>` tensors, `meta.best`), so it survives a reload.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bestCheckpoint } from './early-stop';

export interface BestRecord {
  step: number;
  loss: number;
}

export const bestKey = (name: string): string => `best/${name}`;

export class BestKeeper {
  best: BestRecord | null = null;
  private weights: Record<string, Float32Array> | null = null;

  /** After a validation at `step`: copies the variables when this loss is the new best. */
  async observe(step: number, loss: number, trainable: Record<string, tf.Variable>): Promise<boolean> {
    const candidates = this.best ? [this.best, { step, loss }] : [{ step, loss }];
    if (bestCheckpoint(candidates) !== step || (this.best && this.best.step === step)) return false;
    const weights: Record<string, Float32Array> = {};
    for (const [name, v] of Object.entries(trainable)) weights[name] = ((await v.data()) as Float32Array).slice();
    this.weights = weights;
    this.best = { step, loss };
    return true;
  }

  /** Put the best weights back into the variables (a no-op when the last step is the best, or none was kept). */
  restore(trainable: Record<string, tf.Variable>, currentStep: number): BestRecord | null {
    if (!this.best || !this.weights) return null;
    if (this.best.step !== currentStep) {
      for (const [name, v] of Object.entries(trainable)) {
        const w = this.weights[name];
        if (!w || w.length !== v.size) throw new Error(`the best checkpoint has no weights for ${name}`);
        tf.tidy(() => v.assign(tf.tensor(w, v.shape, 'float32')));
      }
    }
    return this.best;
  }

  /** For the training checkpoint. */
  exportTensors(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    if (this.weights) for (const [name, w] of Object.entries(this.weights)) out[bestKey(name)] = w;
    return out;
  }

  /** From a training checkpoint: the record and the weights keyed like the variables. */
  importWeights(best: BestRecord | null | undefined, weights: Record<string, Float32Array>): void {
    this.best = best ? { step: best.step, loss: best.loss } : null;
    this.weights = best ? weights : null;
  }
}
