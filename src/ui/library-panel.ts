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
      load.addEventListener('click', () => {
        // A LoRA bot whose base was deleted: offer the base's download, then load the bot.
        if (e.adapter && e.adapter.baseName === null) return models.offerBase(e.baseRepo, `${e.name} is a LoRA bot.`, () => models.load({ kind: 'library', id: e.id }, e.name));
        void models.load({ kind: 'library', id: e.id }, e.name);
      });
      const rename = h('button', { type: 'button', class: 'secondary' }, 'Rename');
      rename.addEventListener('click', async () => {
        const name = prompt('New name', e.name)?.trim();
        if (name) await act(() => app.engine.renameModel(e.id, name));
      });
      const del = h('button', { type: 'button', class: 'secondary' }, 'Delete');
      del.addEventListener('click', async () => {
        const users = e.usedBy ?? [];
        const question = users.length
          ? `${e.name} is the base of ${users.length === 1 ? 'the LoRA bot' : `${users.length} LoRA bots:`} ${users.join(', ')}. Delete it anyway? ${users.length === 1 ? 'That bot stays' : 'They stay'} in the library, but ${e.name} must be downloaded again to use ${users.length === 1 ? 'it' : 'them'}.`
          : `Delete ${e.name}? Its files are removed from this browser.`;
        if (confirm(question)) await act(() => app.engine.deleteModel(e.id, { evenIfUsed: users.length > 0 }));
      });
      const exp = h('button', { type: 'button', class: 'secondary' }, 'Export .zip');
      exp.addEventListener('click', () => void act(() => download(() => app.engine.exportModel(e.id))));
      const expAdapter = h('button', { type: 'button', class: 'secondary', 'data-action': 'export-adapter' }, 'Download adapter');
      expAdapter.addEventListener('click', () => void act(() => download(() => app.engine.exportAdapter(e.id))));
      // The same bot for llama.cpp, Ollama and LM Studio: one .gguf file.
      const ggufButtons = (['f32', 'q8_0'] as const).map((dtype) => {
        const b = h('button', { type: 'button', class: 'secondary', title: `One .gguf file for llama.cpp, Ollama and LM Studio (${dtype === 'f32' ? 'full precision' : '8-bit, about a quarter the size'})` }, `GGUF ${dtype === 'f32' ? 'f32' : 'Q8_0'}`);
        b.addEventListener('click', () => void act(() => download(() => app.engine.exportGguf(e.id, dtype))));
        return b;
      });
      const meta = h(
        'div',
        { class: 'meta' },
        h('strong', {}, e.name),
        ` · ${e.kind === 'finetuned' ? `fine-tuned from ${e.baseRepo}` : 'pretrained'} · ${bytes(e.sizeBytes)} · ${e.createdAt.slice(0, 10)}`,
        e.adapter
          ? h('div', { class: 'muted', 'data-role': 'adapter' }, e.adapter.baseName === null
              ? `LoRA adapter (${bytes(e.sizeBytes)}); its base ${e.baseRepo} is not in this browser: loading it offers the download.`
              : `LoRA adapter (${bytes(e.sizeBytes)}) on ${e.adapter.baseName} (${bytes(e.adapter.baseSizeBytes)}, shared, not copied).`)
          : null,
        e.usedBy?.length ? h('div', { class: 'muted', 'data-role': 'used-by' }, `Base of ${e.usedBy.length === 1 ? 'the LoRA bot' : `${e.usedBy.length} LoRA bots:`} ${e.usedBy.join(', ')}.`) : null,
        e.archiveSummary ? h('div', { class: 'muted' }, e.archiveSummary) : null,
        e.finalValLoss !== null ? h('div', { class: 'muted' }, `final validation loss ${num(e.finalValLoss)}`) : null,
      );
      const buttons = [load, rename, del];
      if (e.kind === 'finetuned') buttons.push(exp, ...ggufButtons);
      if (e.adapter) buttons.push(expAdapter);
      list.append(h('li', { 'data-model': e.id, 'data-kind': e.kind }, meta, ...buttons));
    }
  };
  const download = async (make: () => Promise<{ fileName: string; blob: Blob }>) => {
    say(message, 'Preparing the file…');
    const { fileName, blob } = await make();
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: fileName });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    say(message, `Exported ${fileName} (${bytes(blob.size)}).`, 'ok');
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
      // A LoRA adapter's zip is no whole model: the model step loads it on its base (or offers the base).
      if (await app.engine.inspectAdapter([{ name: file.name, file }])) {
        say(message, `${file.name} is a LoRA adapter: see the model step.`);
        return models.drop([{ name: file.name, file }], file.name);
      }
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
