/**
 * Firefox ESR (puppeteer-core, WebDriver BiDi), as a person uses it, with the machine's own locale:
 * the README's serve command gives an isolated page whose engine starts in 10 fresh launches out of
 * 10 (tfjs-wasm's 8-worker pthread pool hung about 4 in 10 before its pool was sized to the threads
 * used); and the whole flow: three real exports at once, the test model, training, writing, the
 * export, then a new browser on the same profile loads the bot from storage, downloading nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExportZip } from '../../src/export/exportZip';
import { startServeScript } from '../helpers/processes';
import { realDir } from '../helpers/real';
import { startSite, type Site } from '../helpers/site';
import { firefoxEngineReady, freshProfile, launchFirefox, removeDir, setValue, waitDownload, waitText } from './firefox';

describe("Firefox: the README's serve command", () => {
  it('serves an isolated page whose engine is ready in 10 fresh launches of 10', async () => {
    const served = await startServeScript();
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const profile = freshProfile();
        const ff = await launchFirefox({ profileDir: profile });
        try {
          const t0 = Date.now();
          await ff.page.goto(served.url);
          expect(await ff.page.evaluate(() => crossOriginIsolated)).toBe(true);
          // Far past a healthy start (seconds) and one restart of a worker that never answered
          // (30 s, src/ui/watchdog.ts), far short of "forever": a hang fails here.
          const { backend, reason } = await firefoxEngineReady(ff.page, 90_000).catch((err: Error) => {
            throw new Error(`launch ${i + 1}: ${err.message}\n${outcomes.join('\n')}\n${ff.log.join('\n')}`);
          });
          outcomes.push(`launch ${i + 1} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${backend}: ${reason}`);
          expect(backend).toBe('wasm');
          // No backend start had to be given up on its deadline (the pthread pool is sized to the
          // threads used); a worker Firefox never started is restarted once, and the page says so.
          expect(reason).not.toMatch(/did not finish/);
          expect(reason).not.toMatch(/single-threaded wasm\./);
          expect(ff.log.filter((l) => l.includes('pageerror'))).toEqual([]);
        } finally {
          await ff.close();
          removeDir(profile);
        }
      }
    } finally {
      await served.stop();
    }
    console.log(`[firefox] ${outcomes.join('\n')}`);
  }, 600_000);
});

describe('Firefox: three real exports, train, write, export, then the bot from storage', () => {
  let site: Site;
  const profile = freshProfile();
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(async () => {
    await site?.close();
    removeDir(profile);
  });

  it('reads X, Bluesky and Mastodon exports at once, fine-tunes, writes and exports', async () => {
    const ff = await launchFirefox({ profileDir: profile });
    try {
      const page = ff.page;
      await page.goto(`${site.url}?host=/hf`);
      const { backend } = await firefoxEngineReady(page);
      expect(backend).toBe('wasm');

      const input = (await page.$('#archive-input')) as ElementHandle<HTMLInputElement> | null;
      await input!.uploadFile(...['x-milahu104.zip', 'bsky-bsky.app.car', 'mastodon-dealingwith.zip'].map((f) => join(realDir, f)));
      await page.waitForFunction(() => document.querySelectorAll('#archive-table thead th').length === 4 && (document.querySelector('#archive-busy') as HTMLElement | null)?.hidden !== false, { timeout: 120_000, polling: 250 });
      const table = await page.evaluate(() => {
        const out: Record<string, string[]> = {};
        for (const tr of document.querySelectorAll('#archive-table tbody tr')) {
          const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
          // Digits only: Firefox formats 1134 as "1,134" in its own locale.
          out[cells[0]] = cells.slice(1).map((c) => c.replace(/\D/g, ''));
        }
        return out;
      });
      // The same figures as Node and Chromium read (tests/unit/archive/real-exports.test.ts).
      expect(table['Tweets / Posts kept']).toEqual(['1671', '485', '1134']);
      expect(table['Direct messages skipped']).toEqual(['0', '0', '35']);

      await page.select('#model-select', 'custom');
      await setValue(page, '#model-repo', 'test/tiny-gpt2');
      await page.click('#load-model');
      expect(await waitText(page, '#model-message', /is ready|Could not load/, 120_000)).toMatch(/is ready/);

      await page.click('#advanced summary');
      for (const [k, v] of Object.entries({ maxSteps: '3', batchSize: '2', blockSize: '32', epochs: '1', modelName: 'firefox-bot' })) await setValue(page, `#set-${k}`, v);
      await page.click('#train-button');
      await waitText(page, '#train-message', /^Done/, 300_000);
      const trainLoss = await page.$eval('[data-stat="Train loss"]', (e) => e.lastChild?.textContent ?? '');
      expect(trainLoss).toMatch(/^\d+\.\d+$/);

      await setValue(page, '#prompt', 'Today I');
      await setValue(page, '#gen-count', '2');
      await setValue(page, '#gen-max', '8');
      await setValue(page, '#gen-seed', '3');
      await page.click('#generate-button');
      await page.waitForFunction(() => !(document.querySelector('#generate-button') as HTMLButtonElement).disabled && document.querySelectorAll('.tweet .text').length === 2, { timeout: 120_000, polling: 250 });
      const written = await page.$$eval('.tweet .text', (els) => els.map((e) => e.textContent ?? ''));
      for (const text of written) expect(text.startsWith('Today I')).toBe(true);

      await page.waitForSelector('#library-list li[data-kind="finetuned"]', { timeout: 30_000 });
      const clicked = await page.$$eval('#library-list li[data-kind="finetuned"] button', (buttons) => {
        const exp = buttons.find((b) => b.textContent === 'Export .zip') as HTMLButtonElement | undefined;
        exp?.click();
        return Boolean(exp);
      });
      expect(clicked).toBe(true);
      const file = await waitDownload(ff.downloads, /^firefox-bot.*\.zip$/);
      const zip = await readExportZip(new Uint8Array(readFileSync(file)));
      expect(zip.card).toContain('firefox-bot');
      expect(Object.keys(zip.files)).toContain('model.safetensors');
      expect(ff.log.filter((l) => l.includes('pageerror')), ff.log.join('\n')).toEqual([]);
      removeDir(ff.downloads);
    } finally {
      await ff.close();
    }
  }, 600_000);

  it('after the browser is closed and opened again, loads the bot from storage and writes, downloading nothing', async () => {
    const before = site.modelRequests().length;
    const ff = await launchFirefox({ profileDir: profile });
    try {
      const page = ff.page;
      await page.goto(`${site.url}?host=/hf`);
      await firefoxEngineReady(page);
      await page.waitForSelector('#library-list li[data-kind="finetuned"] button', { timeout: 60_000 });
      expect(await page.$eval('#library-list li[data-kind="finetuned"]', (e) => e.textContent)).toContain('firefox-bot');
      // "Load" is the entry's first button.
      await page.click('#library-list li[data-kind="finetuned"] button:first-of-type');
      expect(await waitText(page, '#model-message', /is ready|Could not load/, 120_000)).toMatch(/firefox-bot.*is ready|is ready/);
      await setValue(page, '#prompt', 'Today I');
      await setValue(page, '#gen-count', '1');
      await page.click('#generate-button');
      await page.waitForFunction(() => !(document.querySelector('#generate-button') as HTMLButtonElement).disabled && document.querySelectorAll('.tweet .text').length === 1, { timeout: 120_000, polling: 250 });
      expect(site.modelRequests().length).toBe(before);
    } finally {
      await ff.close();
    }
  }, 300_000);
});
