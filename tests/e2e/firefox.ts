/**
 * Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi (never a browser download).
 * Headless Firefox here has no WebGL and no WebGPU: the page runs on wasm. A profile folder keeps
 * IndexedDB between launches (a "reload" of the browser); downloads land in a folder of the test's.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export interface FirefoxSession {
  browser: Browser;
  page: Page;
  /** The page's console errors and uncaught exceptions. */
  log: string[];
  downloads: string;
  close(): Promise<void>;
}

/** Launches Firefox (within a deadline) on a profile folder and opens one page. */
export async function launchFirefox(opts: { profileDir: string; downloads?: string }): Promise<FirefoxSession> {
  const downloads = opts.downloads ?? mkdtempSync(join(tmpdir(), 'tweetgpt-ff-downloads-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: opts.profileDir,
    timeout: 90_000,
    protocolTimeout: 240_000,
    extraPrefsFirefox: {
      // A link with `download` saves straight into this folder, as a person's default does.
      'browser.download.dir': downloads,
      'browser.download.folderList': 2,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
      'browser.helperApps.neverAsk.saveToDisk': 'application/zip,application/octet-stream',
    },
  });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  const log: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') log.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`[pageerror] ${(e as Error).message ?? String(e)}`));
  return {
    browser,
    page,
    log,
    downloads,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

export function freshProfile(): string {
  return mkdtempSync(join(tmpdir(), 'tweetgpt-ff-profile-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Waits until the engine is ready (or failed); returns the backend's name and the page's sentence. */
export async function firefoxEngineReady(page: Page, timeout = 120_000): Promise<{ backend: string; reason: string }> {
  await page.waitForFunction(() => ['ready', 'error'].includes((document.querySelector('#engine-status') as HTMLElement | null)?.dataset.state ?? ''), { timeout, polling: 250 });
  const state = await page.$eval('#engine-status', (e) => (e as HTMLElement).dataset.state);
  if (state === 'error') throw new Error(`engine failed: ${await page.$eval('#engine-error', (e) => e.textContent)}`);
  return {
    backend: await page.$eval('#engine-status', (e) => (e as HTMLElement).dataset.backend ?? ''),
    reason: await page.$eval('#backend-reason', (e) => e.textContent ?? ''),
  };
}

/** Sets a field's value as typing would (input and change events). */
export async function setValue(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (el, v) => {
      (el as HTMLInputElement).value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

/** Waits until `selector`'s text matches; returns it. */
export async function waitText(page: Page, selector: string, pattern: RegExp, timeout = 240_000): Promise<string> {
  const handle = await page.waitForFunction(
    (sel, source, flags) => {
      const text = document.querySelector(sel)?.textContent ?? '';
      return new RegExp(source, flags).test(text) ? text : false;
    },
    { timeout, polling: 250 },
    selector,
    pattern.source,
    pattern.flags,
  );
  return (await handle.jsonValue()) as string;
}

/** Waits for a finished download (no `.part` left) whose name matches; returns its path. */
export async function waitDownload(dir: string, name: RegExp, timeout = 60_000): Promise<string> {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    const files = readdirSync(dir);
    const done = files.find((f) => name.test(f) && !f.endsWith('.part'));
    if (done && !files.some((f) => f.endsWith('.part'))) return join(dir, done);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no download matching ${name} in ${dir} within ${timeout / 1000} s (found: ${readdirSync(dir).join(', ') || 'nothing'})`);
}
