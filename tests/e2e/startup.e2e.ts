/**
 * Start-up never waits forever: a backend whose start never settles (here the threaded wasm binary,
 * whose request the server never answers, as a hung pthread pool never finishes) is given up after
 * its deadline; the engine moves on to single-threaded wasm, says so on the page, and works. And an
 * engine worker that never starts (Firefox leaves one unstarted now and then; here its script never
 * arrives) answers none of the page's pings: after 30 s the page stops it and starts another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineReady, launch, watchConsole, type Browser } from './browser';
import { generateTweets, loadModel } from './flow';
import { startSite, type Site } from '../helpers/site';

describe('a backend start that never settles', () => {
  let site: Site;
  let browser: Browser;
  beforeAll(async () => {
    site = await startSite({ hold: /threaded-simd[^/]*\.wasm$/ });
    browser = await launch({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.dispose();
    await site?.close();
  });

  it('moves on to single-threaded wasm within its deadline, says so, and the engine works', async () => {
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    await page.goto(`${site.url}?host=/hf`);
    // The page starts wasm with threads (isolated, 2+ cores); its binary never arrives.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const backend = await engineReady(page, 150_000);
    const reason = (await page.locator('#backend-reason').textContent()) ?? '';
    expect(backend, reason + log.join('\n')).toBe('wasm');
    expect(reason).toContain('wasm with threads did not finish within 20 s; it was started again single-threaded.');
    expect(reason).toContain('wasm uses 1 thread.');
    expect(site.requests.some((r) => /threaded-simd[^/]*\.wasm$/.test(r.path))).toBe(true);
    // The abandoned start left tfjs usable: a model loads and writes.
    await loadModel(page);
    const tweets = await generateTweets(page, { count: 1, max: 8, seed: 3 });
    expect(tweets.length).toBe(1);
    await page.close();
  });
});

describe('an engine worker that never starts', () => {
  let site: Site;
  let browser: Browser;
  beforeAll(async () => {
    site = await startSite({ holdFirst: { path: /engine\.worker-[^/]*\.js$/, dest: 'worker' } });
    browser = await launch({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.dispose();
    await site?.close();
  });

  it('is stopped after 30 s of silence and a new one starts; the page says so', async () => {
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    const t0 = Date.now();
    await page.goto(`${site.url}?host=/hf`);
    const backend = await engineReady(page, 150_000);
    const seconds = (Date.now() - t0) / 1000;
    const reason = (await page.locator('#backend-reason').textContent()) ?? '';
    expect(backend, reason + log.join('\n')).toBe('wasm');
    expect(reason).toContain('The first engine worker answered nothing for 30 s while loading its code');
    expect(reason).toContain('it was stopped and a new one started.');
    expect(seconds).toBeGreaterThanOrEqual(30);
    const workerLoads = site.requests.filter((r) => /engine\.worker-[^/]*\.js$/.test(r.path));
    expect(workerLoads.length).toBeGreaterThanOrEqual(2);
    expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
    await page.close();
  });
});
