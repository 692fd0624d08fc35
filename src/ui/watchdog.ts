/**
 * Tells a busy engine worker from a blocked one while it starts. The engine's own deadlines
 * (src/engine/backend.ts) end a start that never settles, but only while the worker's event loop
 * runs: a worker blocked in a wait (Firefox sometimes never starts one of wasm's thread workers,
 * and the engine then waits on it for good) can time nothing out. So the page pings it: a worker
 * that answers nothing for `silentMs` is blocked, and the page can stop it and start another.
 */

export class WorkerBlocked extends Error {
  constructor(
    /** What the engine last said it was doing ("starting wasm with 2 threads"). */
    readonly stage: string,
    silentMs: number,
  ) {
    super(`The engine stopped answering for ${Math.round(silentMs / 1000)} s while ${stage}, so it was stopped. Restart it, or reload the page; adding ?backend=cpu to the address starts the slowest but surest engine.`);
    this.name = 'WorkerBlocked';
  }
}

export interface Watch {
  /** Rejects with `WorkerBlocked` once the worker has answered nothing for `silentMs`; never resolves. */
  promise: Promise<never>;
  stop(): void;
}

export function watchWorker(ping: () => Promise<string>, opts: { everyMs?: number; silentMs?: number } = {}): Watch {
  const everyMs = opts.everyMs ?? 2_000;
  // Far above a busy worker's longest silence (a shader compile, a module load on a slow phone).
  const silentMs = opts.silentMs ?? 30_000;
  let lastAnswer = performance.now();
  let stage = 'loading its code';
  let inFlight = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (performance.now() - lastAnswer > silentMs) {
        clearInterval(timer);
        reject(new WorkerBlocked(stage, silentMs));
        return;
      }
      if (inFlight) return;
      inFlight = true;
      ping().then(
        (s) => {
          stage = s;
          lastAnswer = performance.now();
          inFlight = false;
        },
        () => {
          inFlight = false;
        },
      );
    }, everyMs);
  });
  promise.catch(() => {});
  return { promise, stop: () => clearInterval(timer) };
}
