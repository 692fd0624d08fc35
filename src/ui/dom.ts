/** Tiny DOM helpers for the page (no framework: the page is a handful of panels). */

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Array<Node | string | null>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export type Tone = 'info' | 'ok' | 'warn' | 'error';

/** Shows (or hides, with an empty text) a message box with a tone; each '\n' starts a new line (style.css keeps them). */
export function say(el: HTMLElement, text: string, tone: Tone = 'info'): void {
  el.hidden = text === '';
  el.textContent = text;
  el.className = `message ${tone === 'info' ? '' : tone}`.trim();
}

export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // comlink re-throws worker errors with their message; strip the "Error: " prefix some engines add.
  return msg.replace(/^Error: /, '');
}

/**
 * Makes `zone` (a role="button" element) open the hidden file `input` on click, Enter and Space,
 * so the chooser is reachable by keyboard and the input itself is no invisible tab stop.
 */
export function opensFileChooser(zone: HTMLElement, input: HTMLInputElement): void {
  zone.addEventListener('click', () => input.click());
  zone.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    ev.preventDefault(); // Space would scroll the page
    input.click();
  });
}

/** Makes an element accept dropped files (and folders, through webkitGetAsEntry). */
export function onDrop(el: HTMLElement, handle: (items: DroppedFile[]) => void): void {
  el.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    el.classList.add('over');
  });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (ev) => {
    ev.preventDefault();
    el.classList.remove('over');
    const dt = ev.dataTransfer;
    if (!dt) return;
    void collectDropped(dt).then(handle);
  });
}

export interface DroppedFile {
  /** Path inside a dropped folder ('' parts for loose files), e.g. `twitter-2022/data/tweets.js`. */
  path: string;
  file: File;
}

async function collectDropped(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries = Array.from(dt.items ?? [])
    .map((item) => (typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null))
    .filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return Array.from(dt.files).map((file) => ({ path: file.name, file }));
  const out: DroppedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ path: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}
