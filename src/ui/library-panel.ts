/** The model library: models kept in this browser, storage use, rename/delete/export/import. */
import type { App } from './app';
import { $, errorText, h, onDrop, opensFileChooser, say } from './dom';
import { bytes, num } from './format';
import type { ModelPanel } from './model-panel';

export function mountLibraryPanel(app: App, models: ModelPanel): void {
  const list = $('library-list');
  const message = $('library-message');

  const refresh = async () => {
    const [entries, storage] = await Promise.all([app.engine.library(), app.engine.storage()]);
    storage.persisted = (await navigator.storage?.persisted?.().catch(() => null)) ?? null;
    // WebKit's private sessions report usage but no quota: say only what is known.
    const used = storage.usage !== null ? `${bytes(storage.usage)} used${storage.quota !== null ? ` of ${bytes(storage.quota)} available to this page` : ''}` : 'storage use unknown';
    const parts = [used];
    if (storage.persisted === true) parts.push('kept safe from eviction');
    $('storage-info').textContent = parts.join(' · ') + (storage.note ? ` — ${storage.note}` : '');
    list.replaceChildren();
    if (!entries.length) list.append(h('li', { class: 'muted' }, 'No models stored yet.'));
    for (const e of entries) {
      const load = h('button', { type: 'button' }, 'Load');
      load.addEventListener('click', () => void models.load({ kind: 'library', id: e.id }, e.name));
      const rename = h('button', { type: 'button', class: 'secondary' }, 'Rename');
      rename.addEventListener('click', async () => {
        const name = prompt('New name', e.name)?.trim();
        if (name) await act(() => app.engine.renameModel(e.id, name));
      });
      const del = h('button', { type: 'button', class: 'secondary' }, 'Delete');
      del.addEventListener('click', async () => {
        if (confirm(`Delete ${e.name}? Its files are removed from this browser.`)) await act(() => app.engine.deleteModel(e.id));
      });
      const exp = h('button', { type: 'button', class: 'secondary' }, 'Export .zip');
      exp.addEventListener('click', () =>
        void act(async () => {
          const { fileName, blob } = await app.engine.exportModel(e.id);
          const url = URL.createObjectURL(blob);
          const a = h('a', { href: url, download: fileName });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
          say(message, `Exported ${fileName} (${bytes(blob.size)}).`, 'ok');
        }),
      );
      const meta = h(
        'div',
        { class: 'meta' },
        h('strong', {}, e.name),
        ` · ${e.kind === 'finetuned' ? `fine-tuned from ${e.baseRepo}` : 'pretrained'} · ${bytes(e.sizeBytes)} · ${e.createdAt.slice(0, 10)}`,
        e.archiveSummary ? h('div', { class: 'muted' }, e.archiveSummary) : null,
        e.finalValLoss !== null ? h('div', { class: 'muted' }, `final validation loss ${num(e.finalValLoss)}`) : null,
      );
      const buttons = [load, rename, del];
      if (e.kind === 'finetuned') buttons.push(exp);
      list.append(h('li', { 'data-model': e.id, 'data-kind': e.kind }, meta, ...buttons));
    }
  };
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      say(message, errorText(err), 'error');
    }
    await refresh();
  };

  const importInput = $<HTMLInputElement>('import-input');
  const importZip = (file: File) =>
    void act(async () => {
      // A zip chosen while the engine starts is kept and imported once it runs.
      say(message, app.ready ? `Importing ${file.name}…` : `Received ${file.name}: it will be imported as soon as the engine has started…`);
      await app.whenReady();
      say(message, `Importing ${file.name}…`);
      const entry = await app.engine.importModelZip(file);
      say(message, `Imported ${entry.name}.`, 'ok');
    });
  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    importInput.value = '';
    if (file) importZip(file);
  });
  opensFileChooser($('import-drop'), importInput);
  onDrop($('import-drop'), (items) => {
    if (items[0]) importZip(items[0].file);
  });
  app.on('library', () => void refresh().catch(() => {}));
  app.on('engine', () => void refresh().catch(() => {}));
}
