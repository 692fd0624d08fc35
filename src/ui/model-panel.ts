/** Step 2: pick a GPT-2 (hub repo or dropped files), show download size and per-file progress. */
import * as Comlink from 'comlink';
import type { FileProgress, ModelSource } from '../engine/api';
import type { App } from './app';
import { $, errorText, h, onDrop, opensFileChooser, say } from './dom';
import { bytes, duration, int } from './format';
import { PRESET_MODELS } from '../config';

export interface ModelPanel {
  load(source: ModelSource, label: string): Promise<void>;
  /** Dropped or chosen files: a LoRA adapter (its base from the library, or offered for download) or a model. */
  drop(files: Array<{ name: string; file: Blob }>, label: string): Promise<void>;
  /** A LoRA bot whose base is not in the library: say which repo it needs and offer to download it, then `then`. */
  offerBase(repo: string, why: string, then: () => Promise<void>): void;
}

export function mountModelPanel(app: App): ModelPanel {
  const select = $<HTMLSelectElement>('model-select');
  const repoInput = $<HTMLInputElement>('model-repo');
  const sizeEl = $('model-size');
  const message = $('model-message');
  const progressList = $('model-progress');

  const chosenRepo = () => (select.value === 'custom' ? repoInput.value.trim() : select.value);

  let sizeToken = 0;
  const showSize = async () => {
    const repo = chosenRepo();
    const token = ++sizeToken;
    if (!repo) return void (sizeEl.textContent = '');
    const preset = PRESET_MODELS.find((m) => m.repo === repo);
    if (preset) {
      // Known sizes need no request: opening the page talks to no host until the person asks.
      sizeEl.textContent = `${repo}: about ${bytes(preset.params * 4)} to download (nothing if already stored in this browser)`;
      return;
    }
    sizeEl.textContent = `Checking the download size of ${repo}…`;
    try {
      const size = await app.engine.modelDownloadSize(repo);
      if (token === sizeToken) sizeEl.textContent = size === null ? `${repo}: download size unknown` : `${repo}: ${bytes(size)} to download (nothing if already stored in this browser)`;
    } catch (err) {
      if (token === sizeToken) sizeEl.textContent = errorText(err);
    }
  };
  select.addEventListener('change', () => {
    repoInput.hidden = select.value !== 'custom';
    void showSize();
  });
  repoInput.addEventListener('change', () => void showSize());

  const bars = new Map<string, HTMLElement>();
  const onProgress = (p: FileProgress) => {
    let row = bars.get(p.file);
    if (!row) {
      row = h('div', { class: 'file', 'data-file': p.file }, h('span', { class: 'name' }, p.file), h('progress', { max: '1', value: '0', 'aria-label': `${p.file} downloaded` }), h('span', { class: 'muted' }));
      bars.set(p.file, row);
      progressList.append(row);
    }
    const bar = row.querySelector('progress') as HTMLProgressElement;
    bar.value = p.total ? p.loaded / p.total : 0;
    const text = row.lastElementChild as HTMLElement;
    text.textContent = p.fromCache
      ? `${bytes(p.loaded)} from this browser's storage`
      : `${bytes(p.loaded)} / ${bytes(p.total)} · ${bytes(p.bytesPerSec)}/s · ETA ${duration(p.etaSec === null ? null : p.etaSec * 1000)}`;
  };

  const load = async (source: ModelSource, label: string) => {
    if (app.state.training) return say(message, `Training is running: pause and cancel it (or let it finish) before loading ${label}.`, 'error');
    bars.clear();
    progressList.replaceChildren();
    // Files dropped while the engine starts are kept and loaded once it runs.
    if (!app.ready) say(message, `Received ${label}: it will be read as soon as the engine has started…`);
    await app.whenReady();
    say(message, `Loading ${label}…`);
    app.emit('busy');
    try {
      const info = await app.engine.loadModel(source, Comlink.proxy(onProgress));
      app.state.model = info;
      say(
        message,
        `${info.name} is ready (${int(info.params)} parameters, loaded in ${duration(info.loadMs)}${info.networkBytes === 0 ? ', nothing downloaded' : `, ${bytes(info.networkBytes)} downloaded`}).` +
          (info.persisted ? '' : ' It is not stored in this browser, so it will be downloaded again next time.'),
        'ok',
      );
    } catch (err) {
      say(message, `Could not load ${label}: ${errorText(err)}`, 'error');
    }
    renderInfo(app);
    app.emit('model');
    app.emit('library');
  };

  const offer = $('adapter-offer');
  let offerAction: (() => Promise<void>) | null = null;
  const offerBase = (repo: string, why: string, then: () => Promise<void>) => {
    $('adapter-offer-text').textContent = `${why} It needs its base model ${repo}, which is not in this browser's library yet.`;
    $('adapter-offer-download').textContent = `Download ${repo}`;
    offerAction = async () => {
      await load({ kind: 'hub', repo }, repo);
      if (app.state.model?.baseRepo === repo && app.state.model.kind === 'base') await then();
    };
    offer.hidden = false;
  };
  $('adapter-offer-download').addEventListener('click', () => {
    const action = offerAction;
    offer.hidden = true;
    offerAction = null;
    if (action) void action();
  });

  const drop = async (files: Array<{ name: string; file: Blob }>, label: string) => {
    offer.hidden = true;
    const names = files.map((f) => f.name.split('/').pop() ?? f.name);
    const maybeAdapter = names.some((n) => n.startsWith('adapter_')) || (files.length === 1 && /\.zip$/i.test(names[0]));
    if (maybeAdapter && !app.state.training) {
      if (!app.ready) say(message, `Received ${label}: it will be read as soon as the engine has started…`);
      await app.whenReady();
      let check;
      try {
        check = await app.engine.inspectAdapter(files);
      } catch (err) {
        return say(message, `Could not load the LoRA adapter: ${errorText(err)}`, 'error');
      }
      if (check) {
        const loadAdapter = () => load({ kind: 'adapter', files }, 'the LoRA adapter');
        if (check.baseId) return loadAdapter();
        say(message, `This is a LoRA adapter (${bytes(check.sizeBytes)}, rank ${check.rank}).`);
        return offerBase(check.baseRepo, 'This LoRA adapter cannot load yet.', loadAdapter);
      }
    }
    await load({ kind: 'files', files }, label);
  };

  $('load-model').addEventListener('click', () => {
    const repo = chosenRepo();
    if (!repo) return say(message, 'Type a Hugging Face repo name, like huggingtweets/dril.', 'error');
    void load({ kind: 'hub', repo }, repo);
  });
  const filesInput = $<HTMLInputElement>('model-files');
  filesInput.addEventListener('change', () => {
    const files = Array.from(filesInput.files ?? []).map((file) => ({ name: file.name, file }));
    filesInput.value = '';
    if (files.length) void drop(files, 'the dropped model');
  });
  opensFileChooser($('model-drop'), filesInput);
  onDrop($('model-drop'), (items) => {
    const files = items.map((it) => ({ name: it.path.split('/').pop() ?? it.file.name, file: it.file }));
    if (files.length) void drop(files, 'the dropped model');
  });
  // Training and resuming change the model in use: the line below the picker follows.
  app.on('model', () => renderInfo(app));
  const loadBtn = $<HTMLButtonElement>('load-model');
  const reason = $('load-reason');
  const sync = () => {
    loadBtn.disabled = app.state.training;
    reason.hidden = !app.state.training;
    reason.textContent = app.state.training ? 'Loading another model waits until training ends (cancel it to stop now).' : '';
  };
  app.on('busy', sync);
  app.on('engine', () => {
    void showSize();
    void app.engine.currentModel().then((m) => {
      app.state.model = m;
      renderInfo(app);
      app.emit('model');
    });
  });
  return { load, drop, offerBase };
}

export function renderInfo(app: App): void {
  const m = app.state.model;
  $('model-info').textContent = m
    ? `Current model: ${m.name} (${m.kind === 'finetuned' ? 'fine-tuned from ' + m.baseRepo : 'pretrained'}) — ${m.config.nLayer} layers, ${m.config.nEmbd} wide, ${int(m.params)} parameters.`
    : 'No model loaded yet.';
}
