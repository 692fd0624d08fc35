/**
 * The page: boots the engine worker, shows which backend runs and why, and mounts the panels.
 * The UI thread never imports tfjs; everything heavy happens in the worker behind `Engine`.
 */
import './style.css';
import * as Comlink from 'comlink';
import type { BackendName, BackendReport, EngineFault } from '../engine/api';
import { modelHostFor } from '../config';
import { App } from './app';
import { $, errorText, say } from './dom';
import { createEngineClient, type EngineClient } from './engine-client';
import { mountArchivePanel } from './archive-panel';
import { mountModelPanel } from './model-panel';
import { mountTrainPanel } from './train-panel';
import { mountGeneratePanel } from './generate-panel';
import { mountLibraryPanel } from './library-panel';
import { ensureIsolation } from './isolation';
import { mountQualityPanel } from './quality-panel';
import { mountGamePanel } from './game-panel';
import { watchWorker, WorkerBlocked } from './watchdog';

const params = new URLSearchParams(location.search);
let forced = params.get('backend') as BackendName | null;
/** Backends the engine must not use this visit (webgpu after the GPU was lost). */
const avoid: BackendName[] = [];
const modelHost = modelHostFor(location);
$('hosts').textContent = new URL(modelHost).host + (new URL(modelHost).origin === location.origin ? ' (this site)' : '');

const status = $('engine-status');
const restartBtn = $<HTMLButtonElement>('restart-engine');
const errorBox = $('engine-error');

let client: EngineClient;
const app = new App(() => client.engine);
// Before anything else: a first visit on a host without headers reloads once to be isolated.
const isolation = ensureIsolation(() => !app.state.touched, () => app.state.backend && showBackend(app.state.backend));

/** Whether IndexedDB works here (private windows may have none, or refuse to open it). */
async function storageAvailable(): Promise<boolean> {
  if (typeof indexedDB === 'undefined' || indexedDB === null) return false;
  return new Promise<boolean>((resolve) => {
    // Some browsers leave the open request unanswered (no success, no error): treat as no storage.
    setTimeout(() => resolve(false), 10_000);
    try {
      const req = indexedDB.open('tweetgpt-probe');
      req.onsuccess = () => {
        req.result.close();
        resolve(true);
      };
      req.onerror = () => resolve(false);
    } catch {
      resolve(false);
    }
  });
}

/** Names the backend and why, with the wasm threads (or why there is one). */
function showBackend(report: BackendReport): void {
  status.dataset.backend = report.name;
  $('backend-name').textContent = `Running on ${report.name}${report.adapter?.isFallbackAdapter && report.name === 'webgpu' ? ' (software adapter)' : ''}.`;
  const threads =
    report.name === 'wasm'
      ? report.crossOriginIsolated
        ? ` wasm uses ${report.threads} thread${report.threads === 1 ? '' : 's'}.`
        : ` wasm runs single-threaded (1 thread): this page is not cross-origin isolated, as this host sends no isolation headers.${isolation.note()}`
      : '';
  const notes = report.notes.length ? ` ${report.notes.join(' ')}` : '';
  $('backend-reason').textContent = report.reason + threads + notes;
}

/**
 * The whole start-up's deadline, past every backend's own (src/engine/backend.ts): a worker that
 * never answers (a script that never loads, a browser bug) still ends in a message and Restart.
 */
const BOOT_DEADLINE_MS = 180_000;

class BootTimeout extends Error {}

/** False once a worker blocked in a threaded wasm start: every later engine starts wasm single-threaded. */
let wasmThreads = true;
/** How long a starting engine worker may answer nothing before the page takes it for blocked (src/ui/watchdog.ts). */
const BLOCKED_MS = 30_000;
/** Says, beside the backend, that the first worker blocked and what was done. */
let blockedNote: string | null = null;

function bootDeadline(): { promise: Promise<never>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    const minutes = BOOT_DEADLINE_MS / 60_000;
    timer = setTimeout(() => reject(new BootTimeout(`The engine did not start within ${minutes} minutes, so it was stopped. Restart it, or reload the page; adding ?backend=cpu to the address starts the slowest but surest engine.`)), BOOT_DEADLINE_MS);
  });
  promise.catch(() => {});
  return { promise, clear: () => clearTimeout(timer) };
}

async function boot(): Promise<void> {
  app.state.backend = null;
  status.dataset.state = 'starting';
  $('backend-name').textContent = 'Starting the engine…';
  $('backend-reason').textContent = '';
  const deadline = bootDeadline();
  const watch = watchWorker(() => app.engine.ping(), { silentMs: blockedNote ? 3 * BLOCKED_MS : BLOCKED_MS });
  try {
    const init = app.engine.init({ backend: forced, modelHost, storageAvailable: await storageAvailable(), avoid, wasmThreads }, Comlink.proxy(onFault));
    const report = await Promise.race([init, deadline.promise, watch.promise]).catch((err: unknown) => {
      // A worker stuck in its start is of no further use: stop it so it frees its threads.
      if (err instanceof BootTimeout || err instanceof WorkerBlocked) client.restart();
      throw err;
    });
    if (blockedNote) report.notes.unshift(blockedNote);
    app.state.backend = report;
    status.dataset.state = 'ready';
    showBackend(report);
    errorBox.hidden = true;
    restartBtn.hidden = true;
    app.emit('engine');
  } catch (err) {
    if (err instanceof WorkerBlocked && !blockedNote) {
      // Once: a worker that never answered is started again; one blocked in wasm's threaded start
      // is started again with the threads that blocked it left out.
      const inWasm = /wasm/.test(err.stage) && wasmThreads;
      if (inWasm) wasmThreads = false;
      blockedNote = inWasm
        ? `The first engine stopped answering while ${err.stage} (Firefox sometimes never starts wasm's thread workers); it was stopped and the engine started again with single-threaded wasm.`
        : `The first engine worker answered nothing for ${Math.round(BLOCKED_MS / 1000)} s while ${err.stage} (Firefox now and then never starts a worker); it was stopped and a new one started.`;
      deadline.clear();
      watch.stop();
      return boot();
    }
    status.dataset.state = 'error';
    $('backend-name').textContent = 'The engine could not start.';
    say(errorBox, errorText(err), 'error');
    restartBtn.hidden = false;
  } finally {
    deadline.clear();
    watch.stop();
  }
}

/** The GPU was lost: start a new engine without WebGPU; the train panel then offers the checkpoint. */
function onFault(fault: EngineFault): void {
  if (fault.kind !== 'device-lost') return;
  avoid.push('webgpu');
  if (forced === 'webgpu') forced = null;
  app.state.training = app.state.generating = app.state.paused = false;
  app.state.model = null;
  app.state.backend = null;
  client.restart();
  void boot().then(() =>
    say(errorBox, `${fault.message} The engine restarted on ${app.state.backend?.name ?? 'another backend'}. Load the model again; training can resume from its last checkpoint.`, 'warn'),
  );
}

client = createEngineClient((err) => {
  status.dataset.state = 'error';
  $('backend-name').textContent = 'The engine stopped.';
  $('backend-reason').textContent = '';
  say(errorBox, `${err.message}. Your archives and stored models are safe; start the engine again to continue (training resumes from its last checkpoint).`, 'error');
  restartBtn.hidden = false;
  app.state.training = app.state.generating = app.state.paused = false;
  app.state.model = null;
  app.state.backend = null;
  app.emit('busy');
});

restartBtn.addEventListener('click', () => {
  client.restart();
  void boot();
});

mountArchivePanel(app);
const models = mountModelPanel(app);
mountTrainPanel(app);
mountGeneratePanel(app);
mountLibraryPanel(app, models);
mountQualityPanel(app);
mountGamePanel(app);

// Fault-injection hooks for the tests: kill the worker as a crash would, lose the GPU as a driver reset would.
(window as unknown as { tweetgpt: object }).tweetgpt = {
  killEngine: (why = 'terminated') => client.kill(why),
  loseDevice: () => app.engine.debugLoseDevice(),
};

// Ask the browser not to evict stored models (only the page may ask; workers cannot).
void navigator.storage?.persist?.().catch(() => false);

void boot();
