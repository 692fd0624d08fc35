/**
 * Privacy and faults: the archive never leaves the machine (every request recorded), the CSP
 * blocks other origins, and storage full, no IndexedDB, a killed worker, a lost GPU and a second
 * tab each end in a clear message and a page that still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { launch, watchConsole, type Browser } from './browser';
import { archiveZip, currentStep, dropArchives, generateTweets, loadModel, openApp, person, setTrainSettings, waitTrainingMessage } from './flow';
import { startSite, type Site } from '../helpers/site';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

/** A person whose tweets carry a marker we can look for in every request. */
const SECRET = 'zq-private-marker';
const secretPerson = () => {
  const p = person('fran_secret', 'Fran', 150);
  p.tweets = p.tweets.map((t, i) => ({ ...t, text: `${t.text} ${SECRET}${i}` }));
  return p;
};

describe('privacy', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('drop, load, train, generate, export: only 127.0.0.1 is contacted and no request carries the archive', async () => {
    const requests: Request[] = [];
    browser.context.on('request', (r) => requests.push(r));
    const page = await browser.context.newPage();
    page.on('dialog', (d) => void d.accept());
    const first = site.requests.length;
    await openApp(page, site.url);
    const zip = await archiveZip(secretPerson());
    await dropArchives(page, [{ name: 'fran.zip', buffer: zip }], 1);
    expect(await loadModel(page)).toMatch(/is ready/);
    await setTrainSettings(page, { maxSteps: 2, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'fran-bot' });
    await page.click('#train-button');
    await waitTrainingMessage(page, /^Done/);
    await generateTweets(page, { count: 1, max: 8 });
    const entry = page.locator('#library-list li[data-kind="finetuned"]').first();
    await Promise.all([page.waitForEvent('download'), entry.locator('button', { hasText: 'Export' }).click()]);

    const hosts = new Set(requests.map((r) => new URL(r.url()).hostname).filter((h) => h !== ''));
    for (const r of requests) expect(['http:', 'blob:', 'data:']).toContain(new URL(r.url()).protocol);
    expect([...hosts]).toEqual(['127.0.0.1']);
    // What reached the server: no body holds the archive's bytes or its text.
    const seen = site.requests.slice(first);
    expect(seen.length).toBeGreaterThan(5);
    const probe = zip.subarray(zip.length - 200); // the zip's central directory tail
    for (const r of seen) {
      expect(r.body.includes(SECRET), `${r.method} ${r.path} carried tweet text`).toBe(false);
      expect(r.body.includes(probe), `${r.method} ${r.path} carried the zip`).toBe(false);
    }
    expect(seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
    await page.close();
  });

  it('the CSP blocks a fetch to any other origin', async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const result = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.blockedURI));
      // localhost is another origin than 127.0.0.1 (and example.com another host entirely).
      const tries = await Promise.all(['http://localhost:9/x', 'https://example.com/'].map((u) => fetch(u).then(() => 'fetched', (e: Error) => e.name)));
      await new Promise((r) => setTimeout(r, 100));
      return { tries, violations, csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '' };
    });
    expect(result.tries).toEqual(['TypeError', 'TypeError']);
    // Both the meta tag and the _headers policy report each block.
    expect(new Set(result.violations.map((u) => new URL(u).origin))).toEqual(new Set(['http://localhost:9', 'https://example.com']));
    expect(result.csp).toMatch(/connect-src 'self' https:\/\/huggingface\.co/);
    expect(result.csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
    await page.close();
  });
});

describe('storage faults', () => {
  it('storage full: the model runs from memory, the page says so, and no broken model is listed after a reload', async () => {
    const browser = await launch({ webgpu: false });
    try {
      const page = await browser.context.newPage();
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(site.url).origin, quotaSize: 3 * 1024 * 1024 });
      await openApp(page, site.url);
      const msg = await loadModel(page);
      expect(msg).toMatch(/is ready/);
      expect(msg).toMatch(/not stored in this browser/);
      await expect.poll(() => page.locator('#storage-info').textContent(), { timeout: 30_000 }).toMatch(/storage is full/i);
      expect((await generateTweets(page, { count: 1, max: 5 }))[0].length).toBeGreaterThan(0);
      await page.reload();
      await page.waitForFunction(() => (document.querySelector('#engine-status') as HTMLElement)?.dataset.state === 'ready');
      await expect.poll(() => page.locator('#library-list li').first().textContent()).toMatch(/No models stored yet/);
    } finally {
      await browser.dispose();
    }
  });

  it('no IndexedDB (a private window): the page works in memory and says models will not be kept', async () => {
    const browser = await launch({ webgpu: false });
    try {
      await browser.context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
      const page = await browser.context.newPage();
      await openApp(page, site.url);
      await expect.poll(() => page.locator('#storage-info').textContent(), { timeout: 30_000 }).toMatch(/no storage.*kept only until the page closes/);
      expect(await loadModel(page)).toMatch(/is ready.*not stored in this browser/);
      await dropArchives(page, [{ name: 'g.zip', buffer: await archiveZip(person('gus', 'Gus', 150)) }], 1);
      expect((await generateTweets(page, { count: 1, max: 5 }))[0].length).toBeGreaterThan(0);
    } finally {
      await browser.dispose();
    }
  });
});

describe('engine faults', () => {
  let browser: Browser;
  let page: Page;
  let log: string[];
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
    page = await browser.context.newPage();
    log = watchConsole(page);
    await openApp(page, site.url);
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('the worker killed mid-training: the page says so, restarts it, and resumes from the checkpoint', async () => {
    await dropArchives(page, [{ name: 'h.zip', buffer: await archiveZip(person('hal_types', 'Hal', 80)) }], 1);
    expect(await loadModel(page)).toMatch(/is ready/);
    // Enough steps that training is still running through the next two tests (wasm now trains the tiny model at ~10 steps/s).
    await setTrainSettings(page, { maxSteps: 600, batchSize: 2, blockSize: 32, epochs: 50, checkpointMinutes: 0.005, modelName: 'hal-bot' });
    await page.click('#train-button');
    await waitTrainingMessage(page, /Checkpoint saved at step [1-9]/, 120_000);
    await page.evaluate(() => (window as unknown as { tweetgpt: { killEngine(why: string): void } }).tweetgpt.killEngine('terminated by the test'));
    await expect.poll(() => page.locator('#engine-error').textContent()).toMatch(/The engine stopped: terminated by the test/);
    await page.click('#restart-engine');
    await expect.poll(() => page.locator('#resume-banner').isVisible(), { timeout: 60_000 }).toBe(true);
    const at = Number(/step (\d+)/.exec((await page.locator('#resume-text').textContent()) ?? '')![1]);
    expect(at).toBeGreaterThan(0);
    await page.click('#resume-button');
    await expect.poll(() => currentStep(page), { timeout: 120_000, interval: 300 }).toBeGreaterThan(at);
  });

  it('a second tab cannot train at the same time', async () => {
    const other = await browser.context.newPage();
    await openApp(other, site.url);
    expect(await loadModel(other)).toMatch(/is ready/);
    await setTrainSettings(other, { maxSteps: 2, batchSize: 2, blockSize: 32 });
    await other.click('#train-button');
    await waitTrainingMessage(other, /already running in another tab/, 60_000);
    await other.close();
  });

  it('the GPU lost mid-training: the engine restarts without WebGPU and training resumes from the checkpoint', async () => {
    await page.click('#cancel-button');
    await waitTrainingMessage(page, /Cancelled after \d+ steps/, 120_000);
    await page.goto(`${site.url}?host=/hf&backend=webgpu`);
    await page.waitForFunction(() => (document.querySelector('#engine-status') as HTMLElement)?.dataset.backend === 'webgpu', null, { timeout: 120_000 });
    await expect.poll(() => page.locator('#resume-banner').isVisible(), { timeout: 60_000 }).toBe(true);
    await page.click('#resume-button');
    const from = Number(/step (\d+)/.exec((await page.locator('#resume-text').textContent()) ?? '')![1]);
    await expect.poll(() => currentStep(page), { timeout: 120_000, interval: 300 }).toBeGreaterThan(from);
    // The driver resets: every tensor on the GPU is gone.
    await page.evaluate(() => (window as unknown as { tweetgpt: { loseDevice(): Promise<void> } }).tweetgpt.loseDevice());
    await expect.poll(() => page.locator('#engine-error').textContent(), { timeout: 60_000 }).toMatch(/GPU stopped working.*restarted on (wasm|webgl|cpu)/);
    expect(await page.locator('#engine-status').getAttribute('data-backend')).not.toBe('webgpu');
    await expect.poll(() => page.locator('#resume-banner').isVisible(), { timeout: 60_000 }).toBe(true);
    const again = Number(/step (\d+)/.exec((await page.locator('#resume-text').textContent()) ?? '')![1]);
    await page.click('#resume-button');
    await expect.poll(() => currentStep(page), { timeout: 120_000, interval: 300 }).toBeGreaterThan(again);
    expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
  });
});
