/**
 * The doors a newcomer uses (issue 11): the README's `bash scripts/serve.sh`, `npm run dev`, and a
 * static host that sends no headers at all, where the service worker makes the page
 * cross-origin isolated after one reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineReady, launch, watchConsole, type Browser } from './browser';
import { startPlainServer } from '../helpers/plain-server';
import { archiveZip, person } from './flow';
import { freePort, start, startServeScript, waitForServer } from '../helpers/processes';

let browser: Browser;
beforeAll(async () => {
  browser = await launch({ webgpu: false });
});
afterAll(async () => {
  await browser?.dispose();
});

describe("the README's commands", () => {
  it('bash scripts/serve.sh serves a cross-origin-isolated page whose engine starts', async () => {
    // serve.sh runs setup.sh, which runs `npm ci` when node_modules is stale. Here it must be a
    // no-op (CI installed moments ago): startServeScript refuses to start otherwise.
    const proc = await startServeScript();
    try {
      const url = proc.url;
      expect(proc.output()).not.toMatch(/npm ci|added \d+ packages/); // node_modules is fresh: setup is a no-op
      const page = await browser.context.newPage();
      const log = watchConsole(page);
      await page.goto(url);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await engineReady(page), log.join('\n')).toMatch(/wasm|webgl|cpu/);
      expect(await page.locator('#backend-reason').textContent()).toMatch(/wasm uses \d+ threads?|Running|probe|GFLOP|wasm/);
      expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
      await page.close();
    } finally {
      await proc.stop();
    }
  }, 420_000);

  it('npm run dev serves the page', async () => {
    const port = await freePort();
    const proc = start('npm', ['run', 'dev', '--', '--port', String(port), '--strictPort'], {});
    try {
      const url = `http://127.0.0.1:${port}/`;
      await waitForServer(url, proc, 120_000);
      const page = await browser.context.newPage();
      const log = watchConsole(page);
      await page.goto(url);
      // main.ts ran: it names the model host in the privacy note.
      await expect.poll(() => page.locator('#hosts').textContent(), { timeout: 120_000 }).toMatch(/huggingface\.co/);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(log.filter((l) => l.includes('pageerror')), log.join('\n')).toEqual([]);
      await page.close();
    } finally {
      await proc.stop();
    }
  }, 300_000);
});

describe('a static host that sends no headers (GitHub Pages)', () => {
  it('becomes cross-origin isolated after one reload by the service worker, and says how many wasm threads run', async () => {
    const server = await startPlainServer();
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    try {
      await page.goto(`${server.url}?backend=wasm`);
      // The first load is not isolated; the worker takes over and the page reloads itself once.
      await expect.poll(() => page.evaluate(() => crossOriginIsolated).catch(() => false), { timeout: 90_000, interval: 500 }).toBe(true);
      expect(await engineReady(page), log.join('\n')).toBe('wasm');
      const threads = Number(/wasm uses (\d+) threads?/.exec((await page.locator('#backend-reason').textContent()) ?? '')?.[1]);
      expect(threads).toBeGreaterThanOrEqual(1);
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      // The CSP still holds (the meta tag); the page loaded twice: the visit and its one reload.
      expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("default-src 'self'");
      expect(navigations).toBe(2);
      // No loop: a later visit is isolated at once, with no reload, served by the worker.
      const loads = server.pageLoads;
      const served = await page.goto(`${server.url}?backend=wasm`);
      // Served by the worker, with the isolation headers and the build's CSP as a real header.
      expect(served?.fromServiceWorker()).toBe(true);
      expect(served?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
      expect(served?.headers()['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await engineReady(page);
      expect(navigations).toBe(3);
      expect(server.pageLoads).toBe(loads);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it('never reloads under the person: with an archive already chosen, it keeps it and says a reload gives threads', async () => {
    const server = await startPlainServer();
    const page = await browser.context.newPage();
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    try {
      await page.goto(`${server.url}?backend=wasm`, { waitUntil: 'domcontentloaded' });
      await page.setInputFiles('#archive-input', { name: 'mine.zip', mimeType: 'application/zip', buffer: await archiveZip(person('no_reload', 'Stay', 120)) });
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 90_000 });
      await expect.poll(() => page.locator('#backend-reason').textContent(), { timeout: 30_000 }).toMatch(/Reload the page to let wasm use threads/);
      await expect.poll(() => page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(2);
      expect(navigations).toBe(1);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    } finally {
      await page.close();
      await server.close();
    }
  });
});
