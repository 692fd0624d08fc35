/**
 * The page's handle on the engine worker: starts it, wraps it with comlink, and notices when it
 * dies (an uncaught error, a crash, or a test terminating it) so the page can say so and start a
 * new one. No tfjs here: the UI thread never imports it.
 */
import * as Comlink from 'comlink';
import type { Engine } from '../engine/api';

export type EngineRemote = Comlink.Remote<Engine>;

export interface EngineClient {
  readonly engine: EngineRemote;
  /** Terminates the worker and starts a fresh one (the old one's pending calls reject). */
  restart(): EngineRemote;
  /** Kills the worker as a crash would (for the fault-tolerance tests and the "stop" escape hatch). */
  kill(reason: string): void;
}

export class EngineDiedError extends Error {
  constructor(reason: string) {
    super(`The engine stopped: ${reason}`);
    this.name = 'EngineDiedError';
  }
}

export function createEngineClient(onDeath: (err: EngineDiedError) => void): EngineClient {
  let worker: Worker;
  let remote: EngineRemote;
  let rejectPending: (err: Error) => void = () => {};

  const spawn = (): EngineRemote => {
    worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    const died = new Promise<never>((_, reject) => {
      rejectPending = reject;
    });
    died.catch(() => {});
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      die(ev.message ? `${ev.message}${ev.filename ? ` (${ev.filename.split('/').pop()}:${ev.lineno})` : ''}` : 'the worker crashed');
    });
    const raw = Comlink.wrap<Engine>(worker);
    // Every call races against the worker's death, so a killed worker never leaves the page waiting forever.
    remote = new Proxy(raw, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        // Reflect.apply, not value.apply: on a comlink proxy `.apply` would be a remote property.
        return (...args: unknown[]) => Promise.race([Reflect.apply(value as (...a: unknown[]) => Promise<unknown>, target, args), died]);
      },
    }) as EngineRemote;
    return remote;
  };

  const die = (reason: string) => {
    const err = new EngineDiedError(reason);
    rejectPending(err);
    worker.terminate();
    onDeath(err);
  };

  spawn();
  return {
    get engine() {
      return remote;
    },
    restart() {
      rejectPending(new EngineDiedError('restarted'));
      worker.terminate();
      return spawn();
    },
    kill(reason: string) {
      die(reason);
    },
  };
}
