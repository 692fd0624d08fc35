/**
 * The cooperative pause/resume/cancel of a training run, and the holds checkpoints take on it.
 *
 * The loop calls pass() before every micro-batch (and validation batch): it yields to the event
 * loop (a worker then handles its messages), then waits while the run is paused or a checkpoint
 * holds it. Waiting there is "parked": the loop sits at a micro-batch boundary, so pause() and
 * hold() can resolve once it has got there and the model and optimizer are not being written.
 */

/** Let queued messages and timers run (the worker stays responsive between micro-batches). */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class RunGate {
  private running = false;
  private paused = false;
  private cancelled = false;
  /** Checkpoints in progress: the loop waits at its next gate while any is. */
  private holds = 0;
  private parked = false;
  private wake: (() => void) | null = null;
  private parkWaiters: (() => void)[] = [];

  get isRunning(): boolean {
    return this.running;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** A run starts: not cancelled (a pause requested before it still applies). */
  start(): void {
    this.running = true;
    this.cancelled = false;
  }

  /** The run is over: nothing is parked any more, so whoever waits for that goes on. */
  finish(): void {
    this.running = false;
    this.parked = false;
    this.releaseParkWaiters();
  }

  /** Resolves once the loop is parked (at once when not running). */
  pause(): Promise<void> {
    this.paused = true;
    return this.whenParked();
  }

  resume(): void {
    this.paused = false;
    this.wakeLoop();
  }

  cancel(): void {
    this.cancelled = true;
    // A cancelled run is over, not paused: a later run() must not start parked.
    this.paused = false;
    this.wakeLoop();
  }

  /** Run `fn` with the loop parked (or not running), keeping it parked until `fn` settles. */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.holds += 1;
    try {
      await this.whenParked();
      return await fn();
    } finally {
      this.holds -= 1;
      this.wakeLoop();
    }
  }

  /** Yield to the event loop, then wait while paused or held; false when cancelled. */
  async pass(): Promise<boolean> {
    await yieldToEvents();
    while (!this.cancelled && (this.paused || this.holds > 0)) {
      this.parked = true;
      this.releaseParkWaiters();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.parked = false;
    return !this.cancelled;
  }

  private whenParked(): Promise<void> {
    if (!this.running || this.parked) return Promise.resolve();
    return new Promise((resolve) => this.parkWaiters.push(resolve));
  }

  private releaseParkWaiters(): void {
    const waiters = this.parkWaiters;
    this.parkWaiters = [];
    for (const w of waiters) w();
  }

  private wakeLoop(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
