/**
 * Debian's Chromium driven by playwright-core (never a browser download).
 *
 * WebGPU with no GPU: `--enable-unsafe-webgpu` plus SwiftShader's Vulkan gives a software adapter
 * in the page and in workers (flags measured in shared/BROWSER.md). Without the flag,
 * `navigator.gpu` exists but `requestAdapter()` returns null: that is the "no WebGPU" case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface'];

export interface Browser {
  context: BrowserContext;
  profileDir: string;
  /** Closes the browser; the profile (and its IndexedDB) stays until `dispose`. */
  close(): Promise<void>;
  dispose(): Promise<void>;
}

/** A persistent profile, so IndexedDB survives closing and re-opening the browser ("reload"). */
export async function launch(opts: { webgpu: boolean; profileDir?: string }): Promise<Browser> {
  const profileDir = opts.profileDir ?? mkdtempSync(join(tmpdir(), 'tweetgpt-profile-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(opts.webgpu ? WEBGPU_FLAGS : [])],
    viewport: { width: 1100, height: 900 },
    acceptDownloads: true,
  });
  let closed = false;
  return {
    context,
    profileDir,
    async close() {
      if (!closed) await context.close();
      closed = true;
    },
    async dispose() {
      if (!closed) await context.close();
      closed = true;
      if (!opts.profileDir) rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Collects the page's console errors and uncaught exceptions (printed when a test fails). */
export function watchConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') lines.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  return lines;
}

/** Waits until the engine reports its backend; returns the backend's name. */
export async function engineReady(page: Page, timeout = 120_000): Promise<string> {
  const status = page.locator('#engine-status');
  await page.waitForFunction(() => {
    const s = document.querySelector('#engine-status') as HTMLElement | null;
    return s?.dataset.state === 'ready' || s?.dataset.state === 'error';
  }, null, { timeout });
  if ((await status.getAttribute('data-state')) === 'error') throw new Error(`engine failed: ${await page.locator('#engine-error').textContent()}`);
  return (await status.getAttribute('data-backend')) ?? '';
}
