/** Step 1: drop archives, show the huggingtweets data table, samples, and the merged bot's name. */
import type { ArchiveSummary, TrainingDataInfo } from '../engine/api';
import type { App } from './app';
import { avatarImage, forgetAvatars } from './avatars';
import { $, errorText, h, onDrop, say, type DroppedFile } from './dom';
import { date, int } from './format';

export function mountArchivePanel(app: App): void {
  const input = $<HTMLInputElement>('archive-input');
  const folder = $<HTMLInputElement>('folder-input');
  const message = $('archive-message');
  const busy = $('archive-busy');

  const addAll = async (groups: Array<{ label: string; run: () => Promise<void> }>) => {
    busy.hidden = false;
    const notes: string[] = [];
    let failed = false;
    for (const g of groups) {
      try {
        await g.run();
      } catch (err) {
        failed = true;
        notes.push(`${g.label}: ${errorText(err)}`);
      }
    }
    busy.hidden = true;
    if (notes.length) say(message, notes.join('\n'), failed ? 'error' : 'warn');
    else say(message, '');
    await refresh();
  };

  const addOne = (file: Blob, name: string) => ({
    label: name,
    run: async () => {
      const res = await app.engine.addArchive({ kind: 'file', file, name });
      if (res.duplicate) throw new Error(`this archive (@${res.archive.username || res.archive.fileName}) is already in the table; it counts once.`);
    },
  });

  const addFolder = (files: DroppedFile[]) => ({
    label: files[0]?.path.split('/')[0] ?? 'folder',
    run: async () => {
      const res = await app.engine.addArchive({ kind: 'folder', files: files.map((f) => ({ path: f.path, file: f.file })) });
      if (res.duplicate) throw new Error('this archive is already in the table; it counts once.');
    },
  });

  const handleDropped = (items: DroppedFile[]) => {
    // Files inside folders form one archive per top-level folder; loose files are one archive each.
    const folders = new Map<string, DroppedFile[]>();
    const loose: DroppedFile[] = [];
    for (const it of items) {
      const top = it.path.includes('/') ? it.path.split('/')[0] : null;
      if (top) folders.set(top, [...(folders.get(top) ?? []), it]);
      else loose.push(it);
    }
    void addAll([...loose.map((f) => addOne(f.file, f.file.name)), ...[...folders.values()].map(addFolder)]);
  };

  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    void addAll(files.map((f) => addOne(f, f.name)));
  });
  folder.addEventListener('change', () => {
    const files = Array.from(folder.files ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    folder.value = '';
    if (files.length) void addAll([addFolder(files)]);
  });
  onDrop($('drop-zone'), handleDropped);

  $('sample-button').addEventListener('click', () => {
    void addAll([
      {
        label: 'sample',
        run: async () => {
          const res = await fetch(new URL('./sample/sample-archive.zip', document.baseURI));
          if (!res.ok) throw new Error(`could not load the sample archive (${res.status})`);
          await addOne(await res.blob(), 'sample-archive.zip').run();
        },
      },
    ]);
  });

  $('forget-archives').addEventListener('click', async () => {
    app.state.data = await app.engine.forgetArchives();
    say(message, 'Forgotten: the archives and their tweets are gone from this page and its storage.', 'ok');
    await refresh();
  });

  const refresh = async () => {
    app.state.archives = await app.engine.listArchives();
    app.state.data = await app.engine.trainingData();
    render(app, app.state.archives, app.state.data);
    app.emit('data');
  };
  app.on('engine', () => void refresh());
}

function render(app: App, archives: ArchiveSummary[], data: TrainingDataInfo | null): void {
  const wrap = $('archive-table-wrap');
  wrap.hidden = archives.length === 0;
  const table = $('archive-table');
  table.replaceChildren();
  forgetAvatars(archives);
  if (!archives.length) return;
  const head = h('tr', {}, h('th', {}, 'Data'));
  for (const a of archives) {
    const cell = h('th', {});
    const picture = avatarImage(a);
    if (picture) cell.append(picture, h('br'));
    cell.append(a.displayName || a.fileName, h('br'), h('span', { class: 'muted' }, a.username ? `@${a.username}` : '(no name)'));
    if (!a.username) {
      const btn = h('button', { class: 'secondary', 'data-archive': a.id }, 'name it');
      btn.addEventListener('click', async () => {
        const name = prompt('Whose tweets are these? (a username, without @)')?.trim().replace(/^@/, '');
        if (name) {
          app.state.data = await app.engine.renameArchive(a.id, name, name);
          app.state.archives = await app.engine.listArchives();
          render(app, app.state.archives, app.state.data);
          app.emit('data');
        }
      });
      cell.append(h('br'), btn);
    }
    const rm = h('button', { class: 'secondary', title: 'remove this archive' }, '✕');
    rm.addEventListener('click', async () => {
      app.state.data = await app.engine.removeArchive(a.id);
      app.state.archives = await app.engine.listArchives();
      render(app, app.state.archives, app.state.data);
      app.emit('data');
    });
    cell.append(' ', rm);
    head.append(cell);
  }
  table.append(h('thead', {}, head));
  const body = h('tbody');
  const rows: Array<[string, (a: ArchiveSummary) => string]> = [
    ['Tweets downloaded', (a) => int(a.stats.downloaded)],
    ['Retweets', (a) => int(a.stats.retweets)],
    ['Short tweets', (a) => int(a.stats.short)],
    ['Tweets kept', (a) => int(a.stats.kept)],
    ['Dates', (a) => (a.firstDate ? `${date(a.firstDate)} → ${date(a.lastDate)}` : '—')],
  ];
  for (const [label, f] of rows) {
    const tr = h('tr', {}, h('td', {}, label));
    for (const a of archives) tr.append(h('td', {}, f(a)));
    body.append(tr);
  }
  table.append(body);
  $('bot-name').textContent = data ? `Bot: ${data.botName}` : '';
  const level = $('data-level');
  if (data) say(level, data.message, data.level === 'ok' ? 'ok' : data.level === 'warn' ? 'warn' : 'error');
  const samples = $('samples');
  samples.replaceChildren(h('h3', {}, 'A few of the tweets kept'));
  for (const a of archives) for (const s of a.samples.slice(0, 3)) samples.append(h('blockquote', {}, `${a.username ? '@' + a.username + ': ' : ''}${s}`));
  if (archives.every((a) => a.stats.kept === 0)) samples.append(h('p', { class: 'muted' }, 'Nothing to learn from: every tweet was a retweet or too short.'));
}
