/** What a person does on the page, as reusable steps for the end-to-end tests. */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { buildArchive, type SyntheticTweet } from '../helpers/archives';
import { startSite, type Site } from '../helpers/site';
import { engineReady, launch, watchConsole, type Browser } from './browser';

/** What appSession sets up for a test file; the fields are filled in its beforeAll. */
export interface AppSession {
  site: Site;
  browser: Browser;
  page: Page;
  /** The page's console errors and uncaught exceptions (watchConsole). */
  log: string[];
}

/**
 * The set-up most e2e files share, as vitest hooks: the test site, Chromium without WebGPU, one
 * page with its console watched (and, with `acceptDialogs`, confirm() answered yes), opened on
 * the app unless `open` is false; all closed after the file. Tests may replace `browser` and
 * `page` (a reload), and the last ones are closed.
 */
export function appSession(opts: { acceptDialogs?: boolean; open?: boolean } = {}): AppSession {
  const app = {} as AppSession;
  beforeAll(async () => {
    app.site = await startSite();
    app.browser = await launch({ webgpu: false });
    app.page = await app.browser.context.newPage();
    if (opts.acceptDialogs) app.page.on('dialog', (d) => void d.accept());
    app.log = watchConsole(app.page);
    if (opts.open ?? true) await openApp(app.page, app.site.url);
  });
  afterAll(async () => {
    await app.browser?.dispose();
    await app.site?.close();
  });
  return app;
}

/**
 * Opens the page against the test model host; waits for the engine. Returns the backend name.
 * Forces wasm unless told otherwise (the backend choice itself is tested in foundation.e2e.ts):
 * timing every backend at each start would only slow the suite.
 */
export async function openApp(page: Page, siteUrl: string, opts: { backend?: string | null } = {}): Promise<string> {
  const params = new URLSearchParams({ host: '/hf' });
  const backend = opts.backend === undefined ? 'wasm' : opts.backend;
  if (backend) params.set('backend', backend);
  await page.goto(`${siteUrl}?${params}`);
  return engineReady(page);
}

/** A synthetic person with `n` short, repetitive tweets (plus retweets and short ones to drop). */
export function person(username: string, displayName: string, n: number, opts: { accountId?: string; retweets?: number; short?: number; start?: Date } = {}): { username: string; displayName: string; accountId: string; tweets: SyntheticTweet[] } {
  const topics = ['bread', 'tomatoes', 'coffee', 'bicycles', 'rain', 'cats', 'jazz', 'soup'];
  const start = (opts.start ?? new Date('2021-01-01T09:00:00Z')).getTime();
  const tweets: SyntheticTweet[] = [];
  let id = 1000;
  const at = (i: number) => new Date(start + i * 3_600_000);
  for (let i = 0; i < n; i++) {
    const t = topics[i % topics.length];
    tweets.push({ id: String(id++), text: `I really think ${t} make every morning better, number ${i} of my thoughts on ${t}`, createdAt: at(i) });
  }
  for (let i = 0; i < (opts.retweets ?? 0); i++) tweets.push({ id: String(id++), text: `RT @someone: a retweet about ${topics[i % 8]}`, createdAt: at(n + i) });
  for (let i = 0; i < (opts.short ?? 0); i++) tweets.push({ id: String(id++), text: `@pal yes ${i}!`, createdAt: at(n + 100 + i) });
  return { username, displayName, accountId: opts.accountId ?? String(Math.abs(hash(username))), tweets };
}

function hash(s: string): number {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

export async function archiveZip(p: ReturnType<typeof person>): Promise<Buffer> {
  return Buffer.from(await buildArchive(p));
}

/** Drops zips through the file input and waits for the table to list them all. */
export async function dropArchives(page: Page, files: Array<{ name: string; buffer: Buffer }>, expectColumns?: number): Promise<void> {
  await page.setInputFiles('#archive-input', files.map((f) => ({ name: f.name, mimeType: 'application/zip', buffer: f.buffer })));
  if (expectColumns !== undefined) await expect.poll(() => page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(expectColumns + 1);
  await page.waitForSelector('#archive-busy', { state: 'hidden' });
}

/** The data table as { rowLabel: [cell per person] }. */
export async function archiveTable(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(() => {
    const out: Record<string, string[]> = {};
    for (const tr of document.querySelectorAll('#archive-table tbody tr')) {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      out[cells[0]] = cells.slice(1);
    }
    return out;
  });
}

/** Loads a repo from the test model host through the picker; returns the page's message. */
export async function loadModel(page: Page, repo = 'test/tiny-gpt2'): Promise<string> {
  await page.selectOption('#model-select', 'custom');
  await page.fill('#model-repo', repo);
  await page.click('#load-model');
  await page.waitForFunction(() => /is ready|Could not load/.test(document.querySelector('#model-message')?.textContent ?? ''), null, { timeout: 120_000 });
  return (await page.locator('#model-message').textContent()) ?? '';
}

/** Fills the advanced training settings. */
export async function setTrainSettings(page: Page, settings: Record<string, string | number>): Promise<void> {
  if (!(await page.locator('#advanced').evaluate((d) => (d as HTMLDetailsElement).open))) await page.click('#advanced summary');
  for (const [k, v] of Object.entries(settings)) {
    const sel = `#set-${k}`;
    if ((await page.locator(sel).evaluate((e) => e.tagName)) === 'SELECT') await page.selectOption(sel, String(v));
    else await page.fill(sel, String(v));
  }
}

export async function stat(page: Page, name: string): Promise<string> {
  return (await page.locator(`[data-stat="${name}"]`).evaluate((e) => e.lastChild?.textContent ?? '')) ?? '';
}

export async function currentStep(page: Page): Promise<number> {
  const s = await page.locator('[data-stat="Step"]').count() ? await stat(page, 'Step') : '0 / 0';
  return Number(s.split('/')[0].trim());
}

export async function waitTrainingMessage(page: Page, pattern: RegExp, timeout = 240_000): Promise<string> {
  await expect.poll(async () => (await page.locator('#train-message').textContent()) ?? '', { timeout, interval: 500 }).toMatch(pattern);
  return (await page.locator('#train-message').textContent()) ?? '';
}

/** Generates tweets; returns the finished texts. */
export async function generateTweets(page: Page, opts: { prompt?: string; count?: number; max?: number; seed?: number; temperature?: number }): Promise<string[]> {
  await page.fill('#prompt', opts.prompt ?? '');
  await page.fill('#gen-count', String(opts.count ?? 3));
  await page.fill('#gen-max', String(opts.max ?? 12));
  await page.fill('#gen-seed', String(opts.seed ?? 42));
  if (opts.temperature !== undefined) await page.fill('#gen-temperature', String(opts.temperature));
  await page.click('#generate-button');
  await expect.poll(() => page.locator('#generate-button').isDisabled(), { timeout: 120_000 }).toBe(false);
  return page.locator('.tweet .text').allTextContents();
}
