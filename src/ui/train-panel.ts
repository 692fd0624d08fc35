/** Step 3: fine-tune with progress, ETA, a live loss plot, pause/resume/cancel and checkpoint resume. */
import * as Comlink from 'comlink';
import type { TrainProgress, TrainResult, TrainSettings } from '../engine/api';
import type { App } from './app';
import { $, errorText, h, say } from './dom';
import { duration, num } from './format';
import { LossPlot } from './loss-plot';
import { budgetSelect, longRunOptions, planText, renderSamples, validationsLine } from './train-plan';

type SettingKey = Exclude<keyof TrainSettings, 'mode' | 'modelName'>;
const FIELDS: Array<[SettingKey, string, string]> = [
  ['epochs', 'Epochs', '1'],
  ['learningRate', 'Learning rate', 'any'],
  ['batchSize', 'Batch (sequences per step)', '1'],
  ['microBatch', 'Micro-batch (memory)', '1'],
  ['blockSize', 'Block length (tokens)', '1'],
  ['loraRank', 'LoRA rank', '1'],
  ['loraAlpha', 'LoRA alpha', 'any'],
  ['warmupFraction', 'Warm-up fraction', 'any'],
  ['weightDecay', 'Weight decay', 'any'],
  ['clipNorm', 'Gradient clip norm', 'any'],
  ['seed', 'Seed', '1'],
  ['maxSteps', 'Stop after steps (0 = all)', '1'],
  ['checkpointMinutes', 'Checkpoint every (minutes)', 'any'],
  ['budgetMinutes', 'Time budget (minutes; 0 = the epochs, −1 = until it stops improving)', 'any'],
  ['patience', 'Early stopping patience (validations; 0 = off)', '1'],
];

export function mountTrainPanel(app: App): void {
  const trainBtn = $<HTMLButtonElement>('train-button');
  const pauseBtn = $<HTMLButtonElement>('pause-button');
  const cancelBtn = $<HTMLButtonElement>('cancel-button');
  const message = $('train-message');
  const bar = $<HTMLProgressElement>('train-progress');
  const plot = new LossPlot($('loss-plot'));
  let settings: TrainSettings | null = null;
  let paused = false;
  /** The figures shown: a pause or a checkpoint changes the phase, never the numbers. */
  let last: TrainProgress | null = null;
  let lastPhase: TrainProgress['phase'] | null = null;
  let modelSynced = false;

  const settingsEl = $('train-settings');
  const modeSelect = h('select', { id: 'set-mode' }, h('option', { value: 'auto' }, 'auto'), h('option', { value: 'full' }, 'full fine-tuning'), h('option', { value: 'lora' }, 'LoRA'));
  const nameInput = h('input', { id: 'set-modelName', type: 'text' });
  settingsEl.append(h('label', {}, 'Mode', modeSelect), h('label', {}, 'Model name', nameInput));
  const inputs = new Map<SettingKey, HTMLInputElement>();
  for (const [key, label, step] of FIELDS) {
    const input = h('input', { id: `set-${key}`, type: 'number', step });
    inputs.set(key, input);
    settingsEl.append(h('label', {}, label, input));
  }
  // The person's time, beside the recipe: the select writes the advanced field, which can say any number of minutes.
  const budget = budgetSelect((minutes) => (inputs.get('budgetMinutes')!.value = String(minutes)));
  inputs.get('budgetMinutes')!.addEventListener('change', () => budget.set(Number(inputs.get('budgetMinutes')!.value) || 0));
  trainBtn.parentElement!.prepend(budget.el);
  const planEl = h('p', { id: 'train-plan', class: 'muted' });
  const valsEl = h('p', { id: 'train-validations', class: 'muted' });
  const longRun = longRunOptions();
  const samplesEl = h('div', { id: 'live-samples', class: 'live-samples', 'aria-live': 'polite' });
  planEl.hidden = valsEl.hidden = samplesEl.hidden = true;
  $('loss-plot').after(valsEl, samplesEl);
  $('train-stats').before(planEl);
  $('advanced').after(longRun.el);

  const fill = (s: TrainSettings) => {
    settings = s;
    for (const [key] of FIELDS) inputs.get(key)!.value = String(s[key]);
    budget.set(s.budgetMinutes);
    modeSelect.value = s.mode;
    if (!nameInput.value || nameInput.dataset.auto === 'yes') {
      nameInput.value = s.modelName;
      nameInput.dataset.auto = 'yes';
    }
  };
  nameInput.addEventListener('input', () => (nameInput.dataset.auto = 'no'));
  const read = (): TrainSettings => {
    const s = { ...(settings as TrainSettings) };
    for (const [key] of FIELDS) {
      const v = Number(inputs.get(key)!.value);
      if (Number.isFinite(v)) s[key] = v;
    }
    s.mode = modeSelect.value as TrainSettings['mode'];
    s.modelName = nameInput.value.trim() || s.modelName;
    return s;
  };

  const stats = $('train-stats');
  const show = (incoming: TrainProgress) => {
    // Live samples come on their own: they change no figure.
    if (incoming.samples) return renderSamples(samplesEl, incoming.samples, incoming.samplesStep ?? incoming.step);
    const quiet = incoming.phase === 'paused' || incoming.phase === 'checkpoint';
    const p: TrainProgress =
      quiet && last ? { ...last, phase: incoming.phase, message: incoming.message, step: Math.max(incoming.step, last.step) } : { ...incoming, valLoss: incoming.valLoss ?? last?.valLoss ?? null, valPerplexity: incoming.valPerplexity ?? last?.valPerplexity ?? null };
    last = p;
    // A resumed run loads its model in the engine: the page learns which one is in use.
    if (!modelSynced) {
      modelSynced = true;
      void app.engine.currentModel().then((m) => {
        if (m) app.state.model = m;
        app.emit('model');
      });
    }
    // Before the first step the bar shows how far the tweets are tokenized.
    bar.value = p.phase === 'preparing' && p.prepared ? p.prepared.done / Math.max(1, p.prepared.total) : p.totalSteps ? p.step / p.totalSteps : 0;
    stats.replaceChildren(
      ...([
        ['Step', `${p.step} / ${p.totalSteps}`],
        ['Epoch', String(p.epoch)],
        ['Train loss', num(p.trainLoss)],
        ['Validation loss', num(p.valLoss)],
        ['Perplexity', num(p.valPerplexity, 1)],
        ['Validation before', num(p.valLossBefore)],
        ['Tokens/s', num(p.tokensPerSec, 0)],
        ['Elapsed', duration(p.elapsedMs)],
        ['ETA', duration(p.etaMs)],
      ] as const).map(([k, v]) => h('div', { 'data-stat': k }, h('span', {}, k), v)),
    );
    $('train-mode').textContent = `${p.mode === 'lora' ? 'LoRA' : 'Full fine-tuning'}: ${p.modeReason}`;
    if (p.plan) planEl.textContent = planText(p.plan);
    planEl.hidden = !p.plan;
    const vals = validationsLine(p);
    if (vals) valsEl.textContent = vals;
    valsEl.hidden = !valsEl.textContent;
    // Each validation goes into the plot when it is measured (incoming: this event's own figures).
    if (incoming.phase === 'training' || incoming.phase === 'done') plot.add(incoming.step, incoming.trainLoss, incoming.valLoss);
    else if (incoming.phase === 'evaluating' && incoming.valLoss !== null) plot.add(incoming.step, null, incoming.valLoss);
    if (p.message) say(message, p.message, p.phase === 'done' ? 'ok' : 'info');
    // The "measuring before training" note ends when training starts.
    else if (p.phase === 'training' && lastPhase !== 'training' && !paused) say(message, `Training: step ${p.step} of ${p.totalSteps}.`);
    lastPhase = p.phase;
  };

  const run = async (start: () => Promise<TrainResult>) => {
    app.state.training = true;
    app.state.paused = paused = false;
    last = lastPhase = null;
    modelSynced = false;
    pauseBtn.textContent = 'Pause';
    plot.reset();
    // The last run's figures go: a new run shows its own from its first report.
    stats.replaceChildren();
    planEl.hidden = valsEl.hidden = samplesEl.hidden = true;
    planEl.textContent = valsEl.textContent = '';
    samplesEl.replaceChildren();
    void longRun.started();
    sync();
    app.emit('busy');
    try {
      const res = await start();
      // One truth for the time: the engine's figure, shown here, in "Elapsed" and on the model card.
      const took = res.seconds !== undefined ? `, in ${duration(res.seconds * 1000)} of training` : '';
      const shown = last as TrainProgress | null; // set by show() meanwhile
      if (res.seconds !== undefined && shown) show({ ...shown, phase: res.cancelled ? 'cancelled' : 'done', elapsedMs: res.seconds * 1000, etaMs: 0, message: '' });
      say(
        message,
        res.cancelled && res.steps === 0 && Number.isNaN(res.valLossBefore)
          ? 'Cancelled before training started.'
          : res.cancelled
          ? `Cancelled after ${res.steps} steps. The last checkpoint is kept: you can resume it.`
          : `Done: validation loss ${num(res.valLossBefore)} before → ${num(res.valLossAfter)} after${took}. Saved as “${res.name}”.${res.stopReason ? ` ${res.stopReason}` : ''}`,
        res.cancelled ? 'warn' : 'ok',
      );
      longRun.ended(message.textContent ?? '');
      if (!res.cancelled) app.state.model = await app.engine.currentModel();
    } catch (err) {
      say(message, `Training stopped: ${errorText(err)}`, 'error');
      longRun.ended(message.textContent ?? '');
    }
    app.state.training = app.state.paused = false;
    sync();
    app.emit('busy');
    app.emit('model');
    app.emit('library');
    await checkResume();
  };

  trainBtn.addEventListener('click', () => {
    const s = read();
    void run(() => app.engine.train(s, Comlink.proxy(show)));
  });
  pauseBtn.addEventListener('click', async () => {
    paused = !paused;
    app.state.paused = paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    app.emit('busy');
    // The engine reports the pause and its checkpoint itself, through the progress messages.
    await (paused ? app.engine.pause() : app.engine.unpause());
    if (!paused) say(message, 'Resumed.');
  });
  cancelBtn.addEventListener('click', () => void app.engine.cancel());

  const banner = $('resume-banner');
  const checkResume = async () => {
    const ck = await app.engine.pendingCheckpoint().catch(() => null);
    banner.hidden = !ck || app.state.training;
    if (ck) $('resume-text').textContent = `Training of “${ck.name}” (${ck.baseRepo}) stopped at step ${ck.step} of ${ck.totalSteps} (checkpoint ${ck.savedAt.slice(0, 19).replace('T', ' ')}).`;
  };
  $('resume-button').addEventListener('click', () => {
    banner.hidden = true;
    void run(() => app.engine.resumeTraining(Comlink.proxy(show)));
  });
  $('discard-checkpoint').addEventListener('click', async () => {
    await app.engine.discardCheckpoint();
    await checkResume();
  });

  const sync = () => {
    const ready = Boolean(app.state.model) && app.state.data?.level !== undefined && app.state.data.level !== 'refuse' && app.state.data.level !== 'empty';
    trainBtn.disabled = !ready || app.state.training || app.state.generating;
    const why = app.state.training ? '' : !app.state.model ? 'Load a model first (step 2).' : !ready ? 'Add an archive with enough tweets first (step 1).' : app.state.generating ? 'Writing tweets: wait for it or stop it.' : '';
    const reason = $('train-reason');
    reason.textContent = why;
    reason.hidden = why === '';
    pauseBtn.hidden = cancelBtn.hidden = !app.state.training;
  };
  app.on('model', sync);
  app.on('data', async () => {
    sync();
    if (app.state.data) fill({ ...(await app.engine.defaultTrainSettings()) });
  });
  app.on('busy', sync);
  app.on('engine', async () => {
    fill(await app.engine.defaultTrainSettings());
    await checkResume();
    sync();
  });
}
