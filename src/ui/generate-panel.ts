/** Step 4: generate tweets from a prompt, streamed token by token into tweet cards. */
import * as Comlink from 'comlink';
import type { GenerateEvent, GenerateSettings } from '../engine/api';
import type { App } from './app';
import { copyCountText, showCopy } from './copy-badge';
import { $, errorText, h, say } from './dom';

export function mountGeneratePanel(app: App): void {
  const genBtn = $<HTMLButtonElement>('generate-button');
  const stopBtn = $<HTMLButtonElement>('stop-button');
  const promptEl = $<HTMLInputElement>('prompt');
  const message = $('generate-message');
  const list = $('tweets');
  const numberOf = (id: string) => Number($<HTMLInputElement>(id).value);
  // "Only new tweets" (on by default) and the count of copies above the cards.
  const onlyNew = h('input', { id: 'only-new', type: 'checkbox', checked: '' });
  genBtn.parentElement?.before(h('label', { class: 'only-new' }, onlyNew, 'Only new tweets (replace any that copies one of the training tweets)'));
  const copyCount = h('p', { id: 'copy-count', class: 'copy-count', role: 'status' });
  copyCount.hidden = true;
  list.before(copyCount);
  const counts = { shown: 0, copies: 0, replaced: 0, gaveUp: 0 };
  const showCount = () => {
    copyCount.textContent = copyCountText(counts.shown, counts.copies, counts.replaced, counts.gaveUp);
    copyCount.hidden = counts.shown === 0;
  };

  const readSettings = (): GenerateSettings => ({
    prompt: promptEl.value,
    count: Math.max(1, Math.min(20, Math.round(numberOf('gen-count')) || 1)),
    maxNewTokens: Math.max(1, Math.round(numberOf('gen-max')) || 60),
    temperature: Math.max(0, numberOf('gen-temperature')),
    topK: Math.max(0, Math.round(numberOf('gen-topk'))),
    topP: Math.min(1, Math.max(0, numberOf('gen-topp'))),
    seed: Math.round(numberOf('gen-seed')) || 0,
    onlyNew: onlyNew.checked,
  });

  const cards: HTMLElement[] = [];
  const card = (index: number): HTMLElement => {
    if (cards[index]) return cards[index];
    const data = app.state.data;
    const names = data?.displayNames.length ? data.displayNames.join(' & ') : (app.state.model?.name ?? 'GPT-2');
    const handle = data?.botName ? `@${data.botName}` : '';
    const text = h('div', { class: 'text streaming' });
    const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy');
    copy.addEventListener('click', () => void navigator.clipboard?.writeText(text.textContent ?? ''));
    const more = h('button', { type: 'button', class: 'secondary' }, 'More like this');
    more.addEventListener('click', () => {
      promptEl.value = (text.textContent ?? '').split(/\s+/).slice(0, 4).join(' ');
      void run();
    });
    const el = h(
      'article',
      { class: 'tweet', 'data-index': String(index) },
      h('div', { class: 'avatar', 'aria-hidden': 'true' }, '🤖'),
      h('div', { class: 'body' }, h('div', {}, h('span', { class: 'who' }, `${names} 🤖 AI Bot`), ' ', h('span', { class: 'handle' }, handle)), text, h('div', { class: 'actions' }, copy, more)),
    );
    cards[index] = el;
    list.append(el);
    return el;
  };

  const onEvent = (e: GenerateEvent) => {
    const el = card(e.index).querySelector('.text') as HTMLElement;
    el.textContent = e.text;
    if (e.done) {
      el.classList.remove('streaming');
      showCopy(card(e.index), e);
      counts.shown++;
      if (e.copy) counts.copies++;
      counts.replaced += e.replaced ?? 0;
      if (e.gaveUp) counts.gaveUp++;
      showCount();
    }
  };

  const run = async () => {
    const settings = readSettings();
    cards.length = 0;
    list.replaceChildren();
    Object.assign(counts, { shown: 0, copies: 0, replaced: 0, gaveUp: 0 });
    showCount();
    say(message, '');
    app.state.generating = true;
    sync();
    try {
      await app.engine.generate(settings, Comlink.proxy(onEvent));
    } catch (err) {
      say(message, `Generation stopped: ${errorText(err)}`, 'error');
    }
    for (const c of cards) c.querySelector('.text')?.classList.remove('streaming');
    app.state.generating = false;
    sync();
  };

  genBtn.addEventListener('click', () => void run());
  stopBtn.addEventListener('click', () => void app.engine.stopGenerating());
  // While training runs the weights change under the generator: it waits for a pause, then uses them as they are.
  const reason = $('generate-reason');
  const sync = () => {
    const running = app.state.training && !app.state.paused;
    genBtn.disabled = !app.state.model || app.state.generating || running;
    const why = !app.state.model ? 'Load a model first (step 2).' : running ? 'Training is running: pause it to write tweets with the weights so far.' : '';
    reason.textContent = why;
    reason.hidden = why === '' || app.state.generating;
    stopBtn.hidden = !app.state.generating;
  };
  app.on('model', sync);
  app.on('busy', sync);
  sync();
}
