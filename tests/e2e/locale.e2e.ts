/**
 * The page boots and trains whatever `navigator.language` says: "C" (WebKitGTK under
 * LANG=C.UTF-8), "" and "en_US" are rejected by Intl, and uPlot reads it as its module loads.
 * Chromium here, with navigator.language replaced before any page script runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, watchConsole, type Browser } from './browser';
import { archiveZip, dropArchives, loadModel, openApp, person, setTrainSettings, waitTrainingMessage } from './flow';
import { startSite, type Site } from '../helpers/site';

let site: Site;
let browser: Browser;
beforeAll(async () => {
  site = await startSite();
  browser = await launch({ webgpu: false });
});
afterAll(async () => {
  await browser?.dispose();
  await site?.close();
});

async function pageSaying(language: string) {
  const page = await browser.context.newPage();
  await page.addInitScript((lang: string) => {
    Object.defineProperty(Navigator.prototype, 'language', { get: () => lang, configurable: true });
    Object.defineProperty(Navigator.prototype, 'languages', { get: () => (lang ? [lang] : []), configurable: true });
  }, language);
  const log = watchConsole(page);
  return { page, log };
}

describe('navigator.language that Intl rejects', () => {
  it('"C": the page boots, trains and draws the loss plot', async () => {
    const { page, log } = await pageSaying('C');
    expect(await openApp(page, site.url)).toBe('wasm');
    // The override holds, and is one Intl rejects: this test would have caught the dead page.
    expect(await page.evaluate(() => navigator.language)).toBe('C');
    expect(await page.evaluate(() => { try { new Intl.NumberFormat('C'); return 'accepted'; } catch (e) { return (e as Error).name; } })).toBe('RangeError');
    expect(await page.locator('#hosts').textContent()).toContain('(this site)');

    await dropArchives(page, [{ name: 'twitter-cee.zip', buffer: await archiveZip(person('cee', 'Cee', 80)) }], 1);
    expect(await page.locator('#archive-table tbody tr').first().textContent()).toMatch(/\d/);
    expect(await loadModel(page)).toMatch(/is ready/);
    await setTrainSettings(page, { maxSteps: 2, batchSize: 2, blockSize: 32, epochs: 1 });
    await page.click('#train-button');
    await waitTrainingMessage(page, /^Done/);
    expect(await page.locator('#loss-plot .uplot canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('.plot-unavailable').count()).toBe(0);
    expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
    await page.close();
  }, 300_000);

  it.each(['', 'en_US'])('"%s": the page boots', async (language) => {
    const { page, log } = await pageSaying(language);
    expect(await openApp(page, site.url)).toBe('wasm');
    expect(await page.evaluate(() => navigator.language)).toBe(language);
    expect(await page.locator('#hosts').textContent()).toContain('(this site)');
    expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
    await page.close();
  });
});
