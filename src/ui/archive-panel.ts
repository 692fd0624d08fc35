/** Step 1: drop archives, show the huggingtweets data table, samples, and the merged bot's name. */
import type { ArchiveNetwork, ArchiveSummary, TrainingDataInfo } from '../engine/api';
import type { App } from './app';
import { avatarImage, forgetAvatars } from './avatars';
import { $, errorText, h, onDrop, opensFileChooser, say, type DroppedFile } from './dom';
import { date, int } from './format';

/** The bundled sample archive's file name: a real archive takes the sample's place. */
export const SAMPLE_FILE = 'sample-archive.zip';

const NETWORK: Record<ArchiveNetwork, { name: string; posts: string; shared: string }> = {
  x: { name: 'X', posts: 'Tweets', shared: 'Retweets' },
  bluesky: { name: 'Bluesky', posts: 'Posts', shared: 'Reposts' },
  mastodon: { name: 'Mastodon', posts: 'Posts', shared: 'Boosts' },
};

export function mountArchivePanel(app: App): void {
  const input = $<HTMLInputElement>('archive-input');
  const folder = $<HTMLInputElement>('folder-input');
  const message = $('archive-message');
  const busy = $('archive-busy');

  // Input is accepted at once: files chosen while the engine starts wait for it, and say so.
  const addAll = async (groups: Array<{ label: string; run: () => Promise<void> }>) => {
    const names = groups.map((g) => g.label).join(', ');
    busy.hidden = false;
    busy.textContent = app.ready ? `Reading ${names}…` : `Received ${names}: it will be read as soon as the engine has started…`;
    await app.whenReady();
    busy.textContent = `Reading ${names}…`;
    const notes: string[] = [];
    let failed = false;
    let added = 0;
    for (const g of groups) {
      try {
        await g.run();
        added++;
      } catch (err) {
        failed = true;
        notes.push(`${g.label}: ${errorText(err)}`);
      }
    }
    // The sample is only a way to try the page: once the person's own archive is here, it goes.
    const realAdded = groups.some((g) => g.label !== 'sample') && added > 0;
    if (realAdded) {
      const sample = (await app.engine.listArchives()).filter((a) => a.fileName === SAMPLE_FILE);
      for (const a of sample) await app.engine.removeArchive(a.id);
      if (sample.length) notes.push(`Took the sample persona (${sample.map((a) => '@' + (a.username || a.fileName)).join(', ')}) out: your bot learns only from your own archives. “Try a sample” adds it back.`);
    }
    busy.hidden = true;
    // One line per file: several errors never run together.
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
  opensFileChooser($('drop-zone'), input);
  $('folder-button').addEventListener('click', () => folder.click());

  $('sample-button').addEventListener('click', () => {
    void addAll([
      {
        label: 'sample',
        run: async () => {
          const res = await fetch(new URL('./sample/sample-archive.zip', document.baseURI));
          if (!res.ok) throw new Error(`could not load the sample archive (${res.status})`);
          await addOne(await res.blob(), SAMPLE_FILE).run();
        },
      },
    ]);
  });

  $('forget-archives').addEventListener('click', async () => {
    await app.whenReady();
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
    cell.append(
      a.displayName || a.fileName,
      h('br'),
      h('span', { class: 'muted' }, a.username ? `@${a.username}` : a.network === 'bluesky' ? '(no handle yet)' : '(no name)'),
      h('br'),
      h('span', { class: 'muted', 'data-network': a.network }, NETWORK[a.network].name),
    );
    if (!a.username) {
      // A Bluesky export does not hold the handle (only the DID), as a loose tweets.js holds no name: ask.
      const bluesky = a.network === 'bluesky';
      const btn = h('button', { type: 'button', class: 'secondary', 'data-archive': a.id }, bluesky ? 'type the handle' : 'name it');
      btn.addEventListener('click', async () => {
        const question = bluesky
          ? 'Which Bluesky handle is this? (e.g. alice.bsky.social; the export holds only the account\'s DID)'
          : 'Whose tweets are these? (a username, without @)';
        const name = prompt(question)?.trim().replace(/^@/, '');
        if (name) {
          app.state.data = await app.engine.renameArchive(a.id, name, bluesky ? a.displayName || name : name);
          app.state.archives = await app.engine.listArchives();
          render(app, app.state.archives, app.state.data);
          app.emit('data');
        }
      });
      cell.append(h('br'), btn);
    }
    const who = a.username ? `@${a.username}` : a.fileName;
    const rm = h('button', { type: 'button', class: 'secondary', title: `Remove ${who}`, 'aria-label': `Remove the archive of ${who}` }, '✕');
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
  // Each network's words (Tweets/Posts, Retweets/Reposts/Boosts), joined when the table mixes them.
  const words = (pick: (n: (typeof NETWORK)[ArchiveNetwork]) => string) => [...new Set(archives.map((a) => pick(NETWORK[a.network])))].join(' / ');
  const posts = words((n) => n.posts);
  const rows: Array<[string, (a: ArchiveSummary) => string]> = [
    [`${posts} downloaded`, (a) => int(a.stats.downloaded)],
    [words((n) => n.shared), (a) => int(a.stats.retweets)],
    [`Short ${posts.toLowerCase()}`, (a) => int(a.stats.short)],
    [`${posts} kept`, (a) => int(a.stats.kept)],
    ...(archives.some((a) => a.stats.direct > 0) ? [['Direct messages skipped', (a: ArchiveSummary) => int(a.stats.direct)] as [string, (a: ArchiveSummary) => string]] : []),
    ['Characters kept', (a) => (a.chars === undefined ? '—' : int(a.chars))],
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
  if (data) say(level, data.message + (data.balance ? `\n${data.balance}` : ''), data.level === 'ok' ? 'ok' : data.level === 'warn' ? 'warn' : 'error');
  const samples = $('samples');
  samples.replaceChildren(h('h3', {}, 'A few of the tweets kept'));
  for (const a of archives) {
    const who = a.username ? `@${a.username}: ` : a.displayName ? `${a.displayName}: ` : '';
    for (const s of a.samples.slice(0, 3)) samples.append(h('blockquote', {}, `${who}${s}`));
  }
  if (archives.every((a) => a.stats.kept === 0)) samples.append(h('p', { class: 'muted' }, 'Nothing to learn from: every tweet was a retweet or too short.'));
}
