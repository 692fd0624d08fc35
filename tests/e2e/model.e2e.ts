/**
 * Loading a GPT-2 from the model host: progress bars, IndexedDB so a reload downloads nothing,
 * and clear messages for broken repos while the page keeps working.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type Browser } from './browser';
import { loadModel, openApp } from './flow';
import { tinyDir } from '../helpers/fixtures';
import { startSite, type Site } from '../helpers/site';

let site: Site;
let work: string;

/** A copy of the fixture repo with some files changed or removed. */
function variant(name: string, change: (dir: string) => void): string {
  const dir = join(work, name);
  mkdirSync(dir);
  for (const f of readdirSync(tinyDir)) copyFileSync(join(tinyDir, f), join(dir, f));
  change(dir);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tweetgpt-repos-'));
  const repos = {
    'test/tiny-gpt2': tinyDir,
    // A 2021-style repo: pytorch_model.bin and vocab.json + merges.txt only.
    'test/tiny-gpt2-2021': variant('bin', (d) => ['model.safetensors', 'tokenizer.json'].forEach((f) => rmSync(join(d, f)))),
    'test/truncated': variant('truncated', (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 3_000_000))),
    'test/corrupt': variant('corrupt', (d) => {
      const b = readFileSync(join(d, 'model.safetensors'));
      b.write('{"wte.weight":{"dtype":"F32","shape":[1,1]', 8); // a header that no longer parses
      writeFileSync(join(d, 'model.safetensors'), b);
    }),
    'test/wrong-config': variant('config', (d) => writeFileSync(join(d, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 2, n_head: 3, n_embd: 32, vocab_size: 50257, n_positions: 128 }))),
    'test/no-tokenizer': variant('notok', (d) => ['tokenizer.json', 'vocab.json', 'merges.txt'].forEach((f) => rmSync(join(d, f)))),
  };
  site = await startSite({ repos });
});
afterAll(async () => {
  await site?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the fixture model', () => {
  let browser: Browser;
  let profile: string;
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
    profile = browser.profileDir;
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it('downloads with a progress bar per file, then a reload loads it from IndexedDB with zero requests', async () => {
    const page = await browser.context.newPage();
    await openApp(page, site.url);
    const message = await loadModel(page);
    expect(message).toMatch(/test\/tiny-gpt2 is ready \(1,637,792 parameters/);
    expect(message).toMatch(/MB downloaded/);
    const bars = await page.locator('#model-progress .file').evaluateAll((rows) => rows.map((r) => ({ file: r.getAttribute('data-file'), value: (r.querySelector('progress') as HTMLProgressElement).value })));
    expect(bars.map((b) => b.file)).toContain('model.safetensors');
    expect(bars.every((b) => b.value === 1)).toBe(true);
    expect(site.modelRequests().some((r) => r.method === 'GET' && r.path.endsWith('/model.safetensors'))).toBe(true);

    // "Reload": close the whole browser and open the same profile again.
    await browser.close();
    browser = await launch({ webgpu: false, profileDir: profile });
    const before = site.modelRequests().length;
    const again = await browser.context.newPage();
    await openApp(again, site.url);
    expect(await again.locator('#library-list li[data-model="test/tiny-gpt2@main"]').count()).toBe(1);
    const second = await loadModel(again);
    expect(second).toMatch(/is ready .*nothing downloaded/);
    expect(site.modelRequests().length - before).toBe(0);
    expect(await again.locator('#model-progress .file').first().textContent()).toMatch(/from this browser's storage/);
  });

  it('loads a 2021 repo (pytorch_model.bin, vocab.json + merges.txt)', async () => {
    const page = await browser.context.newPage();
    await openApp(page, site.url);
    expect(await loadModel(page, 'test/tiny-gpt2-2021')).toMatch(/is ready \(1,637,792 parameters/);
  });
});

describe('broken repos', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.dispose();
  });

  it.each([
    ['test/truncated', /model\.safetensors|truncat|size|short|bytes/i],
    ['test/corrupt', /model\.safetensors|header|JSON/i],
    ['test/wrong-config', /n_embd|n_head|divisible/i],
    ['test/no-tokenizer', /tokenizer/i],
    ['test/does-not-exist', /not found|no file config\.json|does-not-exist/i],
  ])('%s: a clear message, and the page keeps working', async (repo, pattern) => {
    const page = await browser.context.newPage();
    await openApp(page, site.url);
    const message = await loadModel(page, repo);
    expect(message).toMatch(/^Could not load/);
    expect(message).toMatch(pattern);
    expect(await page.locator('#model-message').getAttribute('class')).toContain('error');
    // Still working: the good model loads right after.
    expect(await loadModel(page)).toMatch(/is ready/);
    // And no broken model entered the library.
    const ids = await page.locator('#library-list li[data-model]').evaluateAll((li) => li.map((l) => l.getAttribute('data-model')));
    expect(ids.filter((id) => id?.startsWith(repo))).toEqual([]);
    await page.close();
  });
});
