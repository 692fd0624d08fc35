/** The page's liveness check of a starting engine worker (src/ui/watchdog.ts), on a fake clock. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchWorker, WorkerBlocked } from '../../../src/ui/watchdog';

describe('watchWorker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes a worker that never answers for blocked after silentMs, naming its last stage', async () => {
    const watch = watchWorker(() => new Promise<string>(() => {}), { everyMs: 1000, silentMs: 10_000 });
    let caught: unknown = null;
    watch.promise.catch((e) => (caught = e));
    await vi.advanceTimersByTimeAsync(9_500);
    expect(caught).toBeNull();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(caught).toBeInstanceOf(WorkerBlocked);
    expect((caught as WorkerBlocked).stage).toBe('loading its code');
    expect((caught as Error).message).toMatch(/stopped answering for 10 s while loading its code/);
  });

  it('keeps waiting on a busy worker that answers, and names the stage it stopped in', async () => {
    let stage = 'starting wasm with 2 threads';
    let answering = true;
    const watch = watchWorker(() => (answering ? Promise.resolve(stage) : new Promise<string>(() => {})), { everyMs: 1000, silentMs: 10_000 });
    let caught: unknown = null;
    watch.promise.catch((e) => (caught = e));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(caught).toBeNull();
    stage = 'timing wasm';
    await vi.advanceTimersByTimeAsync(2_000);
    answering = false;
    await vi.advanceTimersByTimeAsync(12_000);
    expect(caught).toBeInstanceOf(WorkerBlocked);
    expect((caught as WorkerBlocked).stage).toBe('timing wasm');
  });

  it('stops watching when told to', async () => {
    const ping = vi.fn(() => new Promise<string>(() => {}));
    const watch = watchWorker(ping, { everyMs: 1000, silentMs: 5_000 });
    let caught: unknown = null;
    watch.promise.catch((e) => (caught = e));
    await vi.advanceTimersByTimeAsync(2_500);
    watch.stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(caught).toBeNull();
    expect(ping).toHaveBeenCalledTimes(1);
  });
});
