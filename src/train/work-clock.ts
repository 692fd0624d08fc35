/**
 * The trainer's working time: its steps and validations (with the live samples written after a
 * validation), without the yields to the event loop, pauses or checkpoint copies. A time budget is
 * planned in it, the page shows it as "Elapsed", and a checkpoint carries it, so it survives a
 * reload. Each span (a step, a validation) is timed from `start()` to its `…Done()`, less the time
 * the loop waited at its gate meanwhile (`gated`).
 */
import type { ValidationTime } from './budget';

export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class WorkClock {
  /** Working time so far. */
  elapsedMs = 0;
  /** The part of it spent validating (live samples included). */
  validationMs = 0;
  /** The latest validation's duration in this session (0 before one). */
  private lastValidationMs = 0;
  /** This session's steps: their working time, count and tokens (tokens/s, the ETA). */
  private session = { ms: 0, steps: 0, tokens: 0 };
  private spanStart = 0;
  private gatedMs = 0;

  /** Begin timing a step or a validation. */
  start(): void {
    this.spanStart = now();
    this.gatedMs = 0;
  }

  /** Time the current span waited at the gate (a yield, a pause): not working time. */
  gated(ms: number): void {
    this.gatedMs += ms;
  }

  stepDone(tokens: number): void {
    const ms = this.stop();
    this.session.ms += ms;
    this.session.steps += 1;
    this.session.tokens += tokens;
  }

  /** A validation ended; `measured`: it gave a loss (not cancelled, data to validate). */
  validationDone(measured: boolean): void {
    const ms = this.stop();
    this.validationMs += ms;
    if (measured) this.lastValidationMs = ms;
  }

  /** Work after a validation (live samples), timed by the caller: part of that validation. */
  addToValidation(ms: number): void {
    this.elapsedMs += ms;
    this.validationMs += ms;
    this.lastValidationMs += ms;
  }

  /** A new run() of the trainer: the session's rates start again. */
  newSession(): void {
    this.session = { ms: 0, steps: 0, tokens: 0 };
  }

  /** Steps trained in this session. */
  get sessionSteps(): number {
    return this.session.steps;
  }

  /** Mean working time of this session's steps (0 before one). */
  get msPerStep(): number {
    return this.session.steps > 0 ? this.session.ms / this.session.steps : 0;
  }

  get tokensPerSec(): number {
    return this.session.ms > 0 ? (this.session.tokens * 1000) / this.session.ms : 0;
  }

  /** What the validations have cost, as the budget planner reads it. */
  get validationTime(): ValidationTime {
    return { spentMs: this.validationMs, lastMs: this.lastValidationMs };
  }

  /** From a checkpoint (validationMs is absent in older ones). */
  restore(elapsedMs: number, validationMs = 0): void {
    this.elapsedMs = elapsedMs;
    this.validationMs = validationMs;
  }

  private stop(): number {
    const ms = now() - this.spanStart - this.gatedMs;
    this.gatedMs = 0;
    this.elapsedMs += ms;
    return ms;
  }
}
