/**
 * What the train step shows of the person's time: the budget choice beside the recipe, the plan
 * ("about 410 steps, 1.7 epochs, ends at 14:32") and why it changed, every validation loss with
 * the kept one marked, and the options for a long run (a screen wake lock, a notification when
 * training ends), each shown only where the browser has the API.
 */
import type { LiveSample, TrainPlan, TrainProgress } from '../engine/api';
import { PAGE_LOCALE } from '../locale';
import { h } from './dom';

/** The budget choices: minutes, 0 = the recipe's epochs, -1 = until it stops improving. */
export const BUDGETS: Array<[number, string]> = [
  [0, 'the recipe’s epochs'],
  [10, 'about 10 minutes'],
  [30, 'about 30 minutes'],
  [60, 'about 1 hour'],
  [-1, 'until it stops improving'],
];

/** The budget select; `onChange` gets the minutes. `set` shows a value (adding it when it is not a choice). */
export function budgetSelect(onChange: (minutes: number) => void): { el: HTMLElement; set(minutes: number): void } {
  const select = h('select', { id: 'set-budget' }, ...BUDGETS.map(([v, label]) => h('option', { value: String(v) }, label)));
  select.addEventListener('change', () => onChange(Number(select.value)));
  const set = (minutes: number) => {
    if (![...select.options].some((o) => o.value === String(minutes))) select.append(h('option', { value: String(minutes) }, `about ${minutes} minutes`));
    select.value = String(minutes);
  };
  return { el: h('label', { class: 'inline' }, 'Train for ', select), set };
}

/** "about 410 steps, 1.7 epochs, ends at 14:32 (planned from …)". */
export function planText(plan: TrainPlan, now = Date.now()): string {
  const ends = new Date(now + plan.remainingMs).toLocaleTimeString(PAGE_LOCALE, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `Plan: about ${plan.totalSteps} steps, ${plan.epochs.toFixed(1)} epochs, ends at ${ends} — ${plan.reason}.`;
}

/** The validation losses so far, the lowest (the kept weights) marked. */
export function validationsLine(p: TrainProgress): string {
  const vals = p.validations ?? [];
  if (vals.length === 0) return '';
  const best = p.best ?? null;
  const items = vals.map((v) => `step ${v.step}: ${Number.isFinite(v.loss) ? v.loss.toFixed(4) : '—'}${best && best.step === v.step ? ' (lowest)' : ''}`);
  return `Validation losses: ${items.join(' · ')}.${best ? ` Kept so far: step ${best.step}.` : ''}`;
}

/** Wake lock and notification options, shown only where the API exists. */
export function longRunOptions(): { el: HTMLElement; started(): Promise<void>; ended(text: string): void } {
  const nav = navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<{ release(): Promise<void> }> } };
  const hasWakeLock = typeof nav.wakeLock?.request === 'function';
  const hasNotify = typeof Notification !== 'undefined';
  const wake = h('input', { id: 'set-wakelock', type: 'checkbox' });
  const notify = h('input', { id: 'set-notify', type: 'checkbox' });
  const note = h('span', { class: 'muted', id: 'long-run-note' });
  const el = h(
    'div',
    { class: 'row', id: 'long-run' },
    hasWakeLock ? h('label', { class: 'inline' }, wake, ' Keep the screen awake while training') : null,
    hasNotify ? h('label', { class: 'inline' }, notify, ' Notify me when training ends') : null,
    note,
  );
  el.hidden = !hasWakeLock && !hasNotify;
  // The permission is asked only when the person ticks the box.
  notify.addEventListener('change', async () => {
    if (!notify.checked || Notification.permission === 'granted') return;
    const answer = await Notification.requestPermission().catch(() => 'denied' as const);
    if (answer !== 'granted') {
      notify.checked = false;
      note.textContent = 'Notifications are blocked for this page: the browser said no.';
    }
  });
  let lock: { release(): Promise<void> } | null = null;
  const acquire = async () => {
    if (!hasWakeLock || !wake.checked || lock || document.visibilityState !== 'visible') return;
    try {
      lock = await nav.wakeLock!.request('screen');
      note.textContent = '';
    } catch (err) {
      note.textContent = `The screen cannot be kept awake: ${(err as Error).message}`;
    }
  };
  let running = false;
  // A wake lock ends when the tab is hidden; take it again when it comes back.
  document.addEventListener('visibilitychange', () => {
    if (running && document.visibilityState === 'visible') {
      lock = null;
      void acquire();
    }
  });
  wake.addEventListener('change', () => {
    if (running && wake.checked) void acquire();
    if (!wake.checked && lock) void lock.release().catch(() => {});
    if (!wake.checked) lock = null;
  });
  return {
    el,
    async started() {
      running = true;
      await acquire();
    },
    ended(text: string) {
      running = false;
      if (lock) void lock.release().catch(() => {});
      lock = null;
      if (hasNotify && notify.checked && Notification.permission === 'granted') {
        try {
          new Notification('tweetgpt: training ended', { body: text });
        } catch {
          // Some browsers allow notifications only from a service worker: nothing to do here.
        }
      }
    },
  };
}

/** The live samples under the loss plot: prompt, text, and whether it copies a training tweet. */
export function renderSamples(el: HTMLElement, samples: LiveSample[], step: number): void {
  el.replaceChildren(
    h('p', { class: 'muted' }, `Live samples after the validation at step ${step} (fixed prompts and seeds):`),
    ...samples.map((s) =>
      h(
        'div',
        { class: 'live-sample', 'data-copy': s.copy ? 'yes' : 'no' },
        h('span', { class: 'text' }, s.text),
        s.copy ? h('span', { class: 'copy-note' }, ` — copies a training tweet${s.copy.username ? ` of @${s.copy.username}` : ''}: “${s.copy.original}”`) : null,
      ),
    ),
  );
  el.hidden = samples.length === 0;
}
