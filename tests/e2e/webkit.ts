/**
 * Debian's WebKitGTK (Safari's engine) for the end-to-end tests: an Xvfb display, then
 * `WebKitWebDriver --port=N`, then a WebDriver classic session through webdriverio, connected by
 * hostname and port (so webdriverio never looks for, or downloads, a driver or a browser).
 *
 * WebKitWebDriver's sessions are ephemeral, as Safari's Private Browsing is: IndexedDB there
 * refuses Blob values. MiniBrowser inherits this process's locale (no LANG is set here): under
 * Debian's default LANG=C.UTF-8, `navigator.language` is "C". Every start-up has a deadline and
 * a missing package is named, not waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { remote } from 'webdriverio';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB = '/usr/bin/Xvfb';

export type WebKitBrowser = WebdriverIO.Browser;

export interface WebKit {
  browser: WebKitBrowser;
  /** What the driver and Xvfb printed (for failure messages). */
  output(): string;
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Rejects with `what` once `ms` pass; the promise itself is left to settle on its own. */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function missing(): string[] {
  return [
    [WEBKIT_DRIVER, 'webkit2gtk-driver'],
    [MINIBROWSER, 'libwebkit2gtk-4.1-0'],
    [XVFB, 'xvfb'],
  ]
    .filter(([path]) => !existsSync(path))
    .map(([path, pkg]) => `${path} (apt-get install ${pkg})`);
}

/** Signals a child's whole process group (the driver's MiniBrowser and its web processes too). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Children started here, killed when this process exits whatever happens to the tests. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((c) => signalGroup(c, 'SIGKILL')));

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child) return;
  const alive = child.exitCode === null && child.signalCode === null;
  const exited = alive ? new Promise<void>((r) => child.once('exit', () => r())) : Promise.resolve();
  signalGroup(child, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  signalGroup(child, 'SIGKILL'); // the group: a MiniBrowser left behind would hold the display
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** Starts Xvfb on a display it picks itself (-displayfd: no race for a free number). */
async function startXvfb(log: (s: string) => void): Promise<{ child: ChildProcess; display: string }> {
  const child = startChild(XVFB, ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], process.env);
  child.stderr!.on('data', (d: Buffer) => log(d.toString()));
  const display = await deadline(
    new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(`:${m[1]}`);
      });
      child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    }),
    15_000,
    'Xvfb start-up',
  ).catch(async (err: Error) => {
    await stop(child);
    throw err;
  });
  return { child, display };
}

/** Waits until the driver answers /status. */
async function driverReady(port: number, driver: ChildProcess): Promise<void> {
  for (;;) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** WebKitGTK's MiniBrowser in a fresh (ephemeral) automation session. */
export async function launchWebKit(): Promise<WebKit> {
  const absent = missing();
  if (absent.length > 0) throw new Error(`WebKitGTK is not installed here; missing: ${absent.join(', ')}.`);
  let out = '';
  const log = (s: string) => (out = (out + s).slice(-20_000));
  let xvfb: ChildProcess | undefined;
  let driver: ChildProcess | undefined;
  try {
    let display = process.env.DISPLAY;
    if (!display) ({ child: xvfb, display } = await startXvfb(log));
    const port = await freePort();
    driver = startChild(WEBKIT_DRIVER, [`--port=${port}`], { ...process.env, DISPLAY: display });
    driver.stdout!.on('data', (d: Buffer) => log(d.toString()));
    driver.stderr!.on('data', (d: Buffer) => log(d.toString()));
    await deadline(driverReady(port, driver), 20_000, 'WebKitWebDriver start-up');
    const browser = await deadline(
      remote({
        hostname: '127.0.0.1',
        port,
        path: '/',
        logLevel: 'error',
        connectionRetryCount: 0,
        connectionRetryTimeout: 120_000,
        capabilities: {
          browserName: 'MiniBrowser',
          'wdio:enforceWebDriverClassic': true,
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
        } as WebdriverIO.Capabilities,
      }),
      60_000,
      'WebKit session start-up',
    );
    await browser.setTimeout({ script: 120_000, pageLoad: 120_000 });
    const started = { xvfb, driver };
    return {
      browser,
      output: () => out,
      async dispose() {
        await deadline(browser.deleteSession(), 15_000, 'WebKit session end').catch(() => undefined);
        await stop(started.driver);
        await stop(started.xvfb);
      },
    };
  } catch (err) {
    await stop(driver);
    await stop(xvfb);
    throw new Error(`${(err as Error).message}\n${out.slice(-3000)}`, { cause: err });
  }
}

/** Polls `read` in the page until `until` holds (or throws with the last value after `timeoutMs`). */
export async function waitInPage<T>(browser: WebKitBrowser, read: () => T, until: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = (await browser.execute(read)) as T;
    if (until(last)) return last;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits for the engine (as the Chromium tests' engineReady); returns the backend's name. */
export async function webkitEngineReady(browser: WebKitBrowser, timeoutMs = 180_000): Promise<string> {
  const state = await waitInPage(
    browser,
    () => {
      const s = document.querySelector('#engine-status') as HTMLElement | null;
      return { state: s?.dataset.state ?? '', backend: s?.dataset.backend ?? '', error: document.querySelector('#engine-error')?.textContent ?? '' };
    },
    (s) => s.state === 'ready' || s.state === 'error',
    timeoutMs,
    'the engine start-up',
  );
  if (state.state === 'error') throw new Error(`engine failed: ${state.error}`);
  return state.backend;
}
