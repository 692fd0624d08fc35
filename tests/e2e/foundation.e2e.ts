/**
 * The foundation: the built page opens in Chromium, names its backend and why, takes files through
 * the file input, and falls back (saying so) when there is no WebGPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineReady, launch, watchConsole, type Browser } from './browser';
import { startSite, type Site } from '../helpers/site';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

describe('with WebGPU (SwiftShader)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('has a WebGPU adapter — fails loudly if the flags stop giving one', async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      const a = gpu ? await gpu.requestAdapter() : null;
      return a ? { ok: true, limit: a.limits.maxStorageBufferBindingSize } : { ok: false, limit: 0 };
    });
    expect(adapter.ok, 'Chromium gave no WebGPU adapter with the documented SwiftShader flags').toBe(true);
    await page.close();
  });

  it('runs the engine on webgpu when asked, and names it', async () => {
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    await page.goto(`${site.url}?backend=webgpu`);
    expect(await engineReady(page), log.join('\n')).toBe('webgpu');
    await expect.poll(() => page.locator('#backend-name').textContent()).toContain('webgpu');
    await page.close();
  });

  it('times the backends itself, so the software adapter does not win by name', async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const name = await engineReady(page);
    const reason = (await page.locator('#backend-reason').textContent()) ?? '';
    expect(reason).toMatch(/software/);
    expect(reason).toMatch(/webgpu \d/); // the webgpu probe ran and was measured
    expect(name).toBe('wasm'); // on a CPU-only machine wasm is ~30x faster than SwiftShader WebGPU
    await page.close();
  });

  it('reacts to a file dropped through the file input', async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    await engineReady(page);
    await page.setInputFiles('#archive-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, this is not an archive') });
    const message = page.locator('#archive-message');
    await expect.poll(() => message.textContent()).toMatch(/neither a Twitter\/X archive/);
    expect(await message.getAttribute('class')).toContain('error');
    await page.close();
  });
});

describe('without WebGPU', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('falls back to another backend and says why', async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const name = await engineReady(page);
    expect(['wasm', 'webgl', 'cpu']).toContain(name);
    expect(await page.locator('#backend-reason').textContent()).toMatch(/no WebGPU adapter/);
    // Cross-origin isolated by the test site's headers, so wasm gets threads.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.close();
  });

  it('fails loudly when WebGPU is forced but missing', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${site.url}?backend=webgpu`);
    await expect(engineReady(page)).rejects.toThrow(/WebGPU was requested/);
    await page.close();
  });
});
