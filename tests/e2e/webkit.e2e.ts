/**
 * WebKitGTK (Safari's engine) through WebKitWebDriver, in its ephemeral sessions (as Safari's
 * Private Browsing: IndexedDB refuses Blobs there), with this machine's own locale (Debian's
 * LANG=C.UTF-8 makes `navigator.language` "C", which Intl rejects).
 *
 * WebKitGTK gives workers no SharedArrayBuffer (even cross-origin isolated) and no WebGL: the
 * engine runs on wasm with one thread.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/fixtures';
import { realDir } from '../helpers/real';
import { startSite, type Site } from '../helpers/site';
import { deadline, freePort, launchWebKit, waitInPage, webkitEngineReady, type WebKit, type WebKitBrowser } from './webkit';

/** The locale this process (and so MiniBrowser) runs in names no language: C or POSIX. */
const posixLocale = /^(C|POSIX)(\.|$)/.test(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || 'C');

let webkit: WebKit;
beforeAll(async () => {
  webkit = await launchWebKit();
}, 120_000);
afterAll(async () => {
  await webkit?.dispose();
});

/** What the page shows that these tests read, in one round trip. */
function pageState() {
  const text = (sel: string) => document.querySelector(sel)?.textContent ?? '';
  return {
    language: navigator.language,
    isolated: crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    hosts: text('#hosts'),
    backendName: text('#backend-name'),
    backendReason: text('#backend-reason'),
  };
}

async function setField(browser: WebKitBrowser, selector: string, value: string): Promise<void> {
  await browser.execute(
    (sel: string, v: string) => {
      const el = document.querySelector(sel) as HTMLInputElement | HTMLSelectElement;
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    selector,
    value,
  );
}

/** Starts `bash scripts/serve.sh` in its own process group; stop() ends the group. */
function serve(port: number): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  let out = '';
  const child = spawn('bash', ['scripts/serve.sh'], { cwd: repoRoot, env: { ...process.env, PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* gone */
    }
  };
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.pid === undefined) return;
      kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      kill('SIGKILL');
    },
  };
}

async function answers(url: string, proc: ReturnType<typeof serve>): Promise<void> {
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`serve.sh exited with ${proc.child.exitCode}:\n${proc.output().slice(-3000)}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("the README's serve command in WebKit", () => {
  it('gives a cross-origin-isolated page whose engine starts on wasm, one thread, with the machine’s locale', async () => {
    // serve.sh runs setup.sh, which reinstalls when node_modules is stale: never from a test.
    const check = spawnSync('bash', ['scripts/setup.sh', '--check'], { cwd: repoRoot, encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`Not starting serve.sh: ${check.stdout.trim()}. Run bash scripts/setup.sh first.`);
    const port = await freePort();
    const proc = serve(port);
    try {
      const url = `http://127.0.0.1:${port}/`;
      await deadline(answers(url, proc), 280_000, `serve.sh on ${url}\n${proc.output().slice(-3000)}`);
      await webkit.browser.url(url);
      expect(await webkitEngineReady(webkit.browser)).toBe('wasm');
      const state = await webkit.browser.execute(pageState);
      if (posixLocale) expect(state.language).toBe('C');
      expect(state.isolated).toBe(true);
      // The page booted (main.ts names the model host) although Intl rejects the browser's language.
      expect(state.hosts).toMatch(/huggingface\.co/);
      expect(state.sharedArrayBuffer).toBe(false);
      expect(state.backendName).toBe('Running on wasm.');
      expect(state.backendReason).toMatch(/wasm uses 1 thread\b/);
    } finally {
      await proc.stop();
    }
  }, 420_000);
});

describe('the whole flow in a WebKit private session', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it('reads three real exports at once, loads the test model, trains, writes and exports; models are kept for this session only', async () => {
    const browser = webkit.browser;
    const started = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(0)} s`);
    await browser.url(`${site.url}?host=/hf&backend=wasm`);
    expect(await webkitEngineReady(browser)).toBe('wasm');
    if (posixLocale) expect((await browser.execute(pageState)).language).toBe('C');
    phase('engine');

    // Three real exports through the file input, as a person picks them.
    const files = ['x-milahu104.zip', 'bsky-wish.freakybob.site.car', 'mastodon-dealingwith.zip'].map((f) => join(realDir, f));
    await browser.$('#archive-input').addValue(files.join('\n'));
    const table = await waitInPage(
      browser,
      () => {
        const busy = !(document.querySelector('#archive-busy') as HTMLElement).hidden;
        const out: Record<string, string[]> = {};
        for (const tr of document.querySelectorAll('#archive-table tbody tr')) {
          const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
          out[cells[0]] = cells.slice(1);
        }
        return { busy, columns: document.querySelectorAll('#archive-table thead th').length, out, message: document.querySelector('#archive-message')?.textContent ?? '' };
      },
      (t) => !t.busy && t.columns === 4,
      180_000,
      'the archive table',
    );
    // The figures the reader's rules give on these exports (tests/unit/archive/real-exports.test.ts).
    expect(table.out['Tweets / Posts downloaded']).toEqual(['2,045', '197', '1,551']);
    expect(table.out['Tweets / Posts kept']).toEqual(['1,671', '97', '1,134']);
    expect(table.out['Direct messages skipped']).toEqual(['0', '0', '35']);
    phase('archives');

    // The test model from the test model host (same origin, Hugging Face URL layout).
    await setField(browser, '#model-select', 'custom');
    await setField(browser, '#model-repo', 'test/tiny-gpt2');
    await browser.$('#load-model').click();
    const loaded = await waitInPage(browser, () => document.querySelector('#model-message')?.textContent ?? '', (m) => /is ready|Could not load/.test(m), 180_000, 'the model');
    expect(loaded).toMatch(/test\/tiny-gpt2 is ready/);
    const storage = await waitInPage(browser, () => document.querySelector('#storage-info')?.textContent ?? '', (s) => /session only/.test(s), 30_000, 'the storage note');
    expect(storage).toMatch(/refuses files .*kept for this session only/);
    expect(storage).toMatch(/^[\d.]+ [KMG]?B used — /); // no quota figure here: none is invented
    phase('model');

    // A few steps, then the page writes.
    await browser.execute(() => (document.querySelector('#advanced') as HTMLDetailsElement).open = true);
    for (const [k, v] of Object.entries({ maxSteps: '3', batchSize: '2', blockSize: '32', epochs: '1', modelName: 'webkit-everywhere' })) await setField(browser, `#set-${k}`, v);
    await browser.$('#train-button').click();
    const done = await waitInPage(
      browser,
      () => `${document.querySelector('#train-message')?.textContent ?? ''} [${document.querySelector('#engine-status')?.getAttribute('data-state')}; ${document.querySelector('#train-stats')?.textContent ?? ''}]`,
      (m) => /^Done|failed|error/i.test(m),
      480_000,
      'the training',
    );
    expect(done).toMatch(/^Done/);
    phase('training');
    // The loss plot (uPlot, loaded lazily once the locale was made one Intl accepts) was drawn.
    expect(await browser.execute(() => ({ plot: document.querySelectorAll('#loss-plot .uplot canvas').length > 0, unavailable: document.querySelector('.plot-unavailable')?.textContent ?? null }))).toEqual({ plot: true, unavailable: null });

    await setField(browser, '#prompt', 'I think');
    await setField(browser, '#gen-count', '2');
    await setField(browser, '#gen-max', '8');
    await browser.$('#generate-button').click();
    const written = await waitInPage(
      browser,
      () => ({ busy: (document.querySelector('#generate-button') as HTMLButtonElement).disabled, texts: [...document.querySelectorAll('.tweet .text')].map((e) => e.textContent ?? '') }),
      (g) => !g.busy && g.texts.length === 2,
      180_000,
      'the written tweets',
    );
    for (const text of written.texts) expect(text.startsWith('I think')).toBe(true);
    phase('writing');

    // Export: the fine-tuned model from the library, its zip caught as the page hands it to the download.
    await browser.execute(() => {
      const w = window as unknown as { exported?: Blob[] };
      w.exported = [];
      const make = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (obj: Blob | MediaSource) => {
        if (obj instanceof Blob) w.exported!.push(obj);
        return make(obj);
      };
    });
    await browser.execute(() => [...document.querySelectorAll('li[data-kind="finetuned"] button')].find((b) => b.textContent === 'Export .zip')?.setAttribute('data-test', 'export'));
    await browser.$('li[data-kind="finetuned"] button[data-test="export"]').click();
    const exported = await waitInPage(browser, () => document.querySelector('#library-message')?.textContent ?? '', (m) => /Exported|rror/.test(m), 120_000, 'the export');
    expect(exported).toMatch(/^Exported webkit-everywhere.*\.zip/);
    const zip = (await browser.executeAsync((finish: (r: unknown) => void) => {
      const blob = (window as unknown as { exported: Blob[] }).exported.at(-1)!;
      void blob.arrayBuffer().then((buf) => {
        const bytes = new Uint8Array(buf);
        const text = new TextDecoder('latin1').decode(bytes);
        finish({ size: bytes.length, signature: Array.from(bytes.slice(0, 4)), names: ['config.json', 'model.safetensors', 'README.md', 'tokenizer.json'].filter((n) => text.includes(n)) });
      });
    })) as { size: number; signature: number[]; names: string[] };
    expect(zip.signature).toEqual([0x50, 0x4b, 0x03, 0x04]);
    expect(zip.names).toEqual(['config.json', 'model.safetensors', 'README.md', 'tokenizer.json']);
    expect(zip.size).toBeGreaterThan(100_000);
    phase('export');
    console.log(`WebKit flow: ${phases.join(', ')}; export ${zip.size} bytes; storage: ${storage}`);
  }, 900_000);
});
