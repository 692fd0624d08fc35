/**
 * Keyboard, screen readers and phones (issue 11): an axe-core audit of every state of the page
 * (no "serious" or "critical" violation), no element wider than the viewport and no control over
 * another at 390 px and 1280 px (screenshots in /tmp/tweetgpt-shots), and the whole flow with
 * Tab, Enter and Space alone.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { engineReady, launch, watchConsole, type Browser } from './browser';
import { archiveZip, currentStep, dropArchives, generateTweets, loadModel, openApp, person, setTrainSettings, waitTrainingMessage } from './flow';
import { startSite, type Site } from '../helpers/site';
import { tinyDir } from '../helpers/fixtures';

const SHOTS = '/tmp/tweetgpt-shots';
const WIDTHS = [390, 1280];
const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json'];

let site: Site;
beforeAll(async () => {
  site = await startSite();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await site?.close();
});

/** Elements wider than the viewport (outside a scrolling box) and controls that overlap. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const vw = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > vw + 1) problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${vw}px viewport`);
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
    // checkVisibility: false inside a closed <details> too, whose content keeps stale boxes.
    const visible = (e: Element) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    };
    const scrolls = (e: Element | null): boolean => {
      for (let p = e?.parentElement; p; p = p.parentElement) if (/auto|scroll|hidden/.test(getComputedStyle(p).overflowX) && p !== document.body && p !== document.documentElement) return true;
      return false;
    };
    for (const e of document.querySelectorAll('body *')) {
      if (!visible(e) || scrolls(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.right > vw + 1 || r.left < -1) problems.push(`${name(e)} spans ${Math.round(r.left)}–${Math.round(r.right)}px in a ${vw}px viewport`);
      // Nor out of its card (a long handle or token running over the border).
      const card = e.parentElement?.closest('.card, .tweet');
      if (card) {
        const c = card.getBoundingClientRect();
        if (r.right > c.right + 1 || r.left < c.left - 1) problems.push(`${name(e)} spans ${Math.round(r.left)}–${Math.round(r.right)}px, out of its box ${Math.round(c.left)}–${Math.round(c.right)}px`);
      }
    }
    const controls = [...document.querySelectorAll('button, input:not([type=file]), select, textarea, summary, [role=button], a[href], progress')].filter(visible);
    for (let i = 0; i < controls.length; i++)
      for (let j = i + 1; j < controls.length; j++) {
        const a = controls[i];
        const b = controls[j];
        if (a.contains(b) || b.contains(a)) continue;
        const ra = a.getBoundingClientRect();
        const rb = b.getBoundingClientRect();
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 1 && h > 1) problems.push(`${name(a)} overlaps ${name(b)} by ${Math.round(w)}×${Math.round(h)}px`);
      }
    return problems;
  });
}

/** The audit of one state: axe (serious/critical), then the layout at each width, with screenshots. */
async function audit(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`), `axe, state "${state}"`).toEqual([]);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150); // the plot follows its box
    await page.screenshot({ path: join(SHOTS, `${state}-${width}.png`), fullPage: true });
    expect(await layoutProblems(page), `layout, state "${state}" at ${width}px`).toEqual([]);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('every state of the page: axe, widths, overlaps', () => {
  let browser: Browser;
  let page: Page;
  let log: string[];
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
    page = await browser.context.newPage();
    log = watchConsole(page);
    page.on('dialog', (d) => void d.accept());
    await page.setViewportSize({ width: 1280, height: 900 });
    await openApp(page, site.url);
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('empty, archive table, model loaded', async () => {
    await audit(page, 'empty');
    await dropArchives(page, [
      { name: 'twitter-ada.zip', buffer: await archiveZip(person('ada_lovelace_with_a_long_handle', 'Ada Lovelace, Countess of Lovelace', 150)) },
      { name: 'twitter-bo.zip', buffer: await archiveZip(person('bo', 'Bo', 90)) },
    ], 2);
    await audit(page, 'archive-table');
    expect(await loadModel(page)).toMatch(/is ready/);
    await audit(page, 'model-loaded');
  });

  it('training, paused, tweets, library', async () => {
    await setTrainSettings(page, { maxSteps: 400, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'audit-bot' });
    await page.click('#train-button');
    await expect.poll(() => currentStep(page), { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    await audit(page, 'training');
    await page.click('#pause-button');
    await waitTrainingMessage(page, /Checkpoint saved/);
    await audit(page, 'paused');
    // A long unbroken token must wrap inside its card, on a phone too.
    await generateTweets(page, { prompt: `https://example.com/${'averyveryverylongunbrokentoken'.repeat(4)}`, count: 2, max: 10 });
    await audit(page, 'tweets');
    await page.click('#pause-button');
    await page.click('#cancel-button');
    await waitTrainingMessage(page, /Cancelled/);
    await setTrainSettings(page, { maxSteps: 2 });
    await page.click('#train-button');
    await waitTrainingMessage(page, /^Done/);
    await page.locator('#library').scrollIntoViewIfNeeded();
    await audit(page, 'library');
  });

  it('each error', async () => {
    await dropArchives(page, [
      { name: 'photo.zip', buffer: Buffer.from('GIF89a not really a zip at all') },
      { name: 'empty.zip', buffer: Buffer.alloc(0) },
    ]);
    await expect.poll(() => page.locator('#archive-message').getAttribute('class')).toContain('error');
    expect(await loadModel(page, 'test/no-such-model')).toMatch(/Could not load/);
    await page.setInputFiles('#import-input', { name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip') });
    await expect.poll(() => page.locator('#library-message').getAttribute('class'), { timeout: 60_000 }).toContain('error');
    await audit(page, 'errors');
    await page.evaluate(() => (window as unknown as { tweetgpt: { killEngine(why: string): void } }).tweetgpt.killEngine('killed by the accessibility test'));
    await expect.poll(() => page.locator('#engine-error').isVisible()).toBe(true);
    await audit(page, 'engine-stopped');
    expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
  });
});

/** Presses Tab until `selector` has focus; every stop on the way must be visible and show its focus. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate((sel) => {
      const e = document.activeElement as HTMLElement | null;
      if (!e || e === document.body) return { done: false, problem: '' };
      const r = e.getBoundingClientRect();
      const st = getComputedStyle(e);
      const label = `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
      let problem = '';
      if (r.width < 4 || r.height < 4 || st.visibility === 'hidden' || st.opacity === '0') problem = `invisible tab stop ${label}`;
      else if (st.outlineStyle === 'none' || parseFloat(st.outlineWidth) < 2) problem = `no visible focus on ${label}`;
      return { done: e.matches(sel), problem };
    }, selector);
    expect(stop.problem).toBe('');
    if (stop.done) return;
  }
  throw new Error(`${selector} not reached with ${max} Tabs`);
}

describe('keyboard only', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('archive → model → train → generate → export with Tab, Enter and Space alone', async () => {
    const page = await browser.context.newPage();
    const log = watchConsole(page);
    // File choosers are intercepted from the start: subscribing only as a key is pressed races the
    // browser (the chooser can open natively, unseen, before interception is on).
    page.on('filechooser', () => {});
    await page.goto(`${site.url}?host=/hf&backend=wasm`);
    await engineReady(page);

    // The archive: the drop zone opens the file chooser on Enter.
    await tabTo(page, '#drop-zone');
    const zip = await archiveZip(person('keys_only', 'Keys', 110));
    const [archiveChooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
    await archiveChooser.setFiles({ name: 'keys.zip', mimeType: 'application/zip', buffer: zip });
    await expect.poll(() => page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(2);
    // The folder chooser is reachable too (Space opens it).
    await tabTo(page, '#folder-button');
    const [folderChooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    expect(await folderChooser.element().evaluate((e) => (e as HTMLElement).id)).toBe('folder-input');

    // The model: its drop zone opens the chooser on Space.
    await tabTo(page, '#model-drop');
    const [modelChooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await modelChooser.setFiles(MODEL_FILES.map((f) => ({ name: f, mimeType: 'application/octet-stream', buffer: readFileSync(join(tinyDir, f)) })));
    await expect.poll(() => page.locator('#model-message').textContent(), { timeout: 60_000 }).toMatch(/is ready/);

    // Train with the default settings (a small archive: a few steps).
    await tabTo(page, '#train-button');
    await page.keyboard.press('Enter');
    await waitTrainingMessage(page, /^Done/);

    // Generate: the prompt has a label; Space on the button.
    expect(await page.locator('#prompt').evaluate((e) => (e as HTMLInputElement).labels?.[0]?.textContent ?? '')).toBe('Prompt');
    await tabTo(page, '#generate-button');
    await page.keyboard.press('Space');
    await expect.poll(() => page.locator('.tweet .text:not(.streaming)').count(), { timeout: 120_000 }).toBe(5);

    // Export from the library.
    await tabTo(page, '#library-list li[data-kind="finetuned"] button:nth-of-type(4)', 120);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Export .zip');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toBe('keys_only.zip');
    expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
    await page.close();
  });
});
