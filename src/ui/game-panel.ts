/**
 * "Real or bot?": a held-out tweet (from the validation split, never trained on) and a generated
 * one side by side; the person picks the real one and the page keeps the score. The held-out
 * tweets come from the worker and stay in this page.
 */
import './quality.css';
import type { GameRound } from '../engine/api';
import type { App } from './app';
import { $, errorText, h, say } from './dom';

export function mountGamePanel(app: App): void {
  const play = h('button', { id: 'game-play' }, 'Play a round');
  const score = h('p', { id: 'game-score', class: 'muted' }, 'Score: 0 of 0');
  const pair = h('div', { class: 'pair', id: 'game-pair' });
  const message = h('div', { id: 'game-message', class: 'message', role: 'status' });
  message.hidden = true;
  const section = h(
    'section',
    { id: 'game', class: 'card game' },
    h('h2', {}, 'Real or bot?'),
    h('p', { class: 'muted' }, 'One of these is a real tweet the bot never trained on (held out for validation); the other one the bot wrote. Which is real?'),
    h('div', { class: 'row' }, play),
    pair,
    message,
    score,
  );
  $('step-generate').after(section);

  let round = 0;
  let right = 0;
  let played = 0;
  let current: GameRound | null = null;

  const showRound = (r: GameRound) => {
    current = r;
    pair.replaceChildren(
      ...r.texts.map((text, i) => {
        const b = h('button', { class: 'choice', 'data-choice': String(i) }, text || '(empty)');
        b.addEventListener('click', () => guess(i));
        return b;
      }),
    );
  };

  const guess = (i: number) => {
    if (!current) return;
    const r = current;
    current = null;
    played++;
    if (i === r.realIndex) right++;
    pair.querySelectorAll<HTMLButtonElement>('.choice').forEach((b, j) => {
      b.disabled = true;
      b.classList.add(j === r.realIndex ? 'real' : 'bot');
      b.prepend(h('strong', {}, j === r.realIndex ? 'Real: ' : 'Bot: '));
    });
    say(message, i === r.realIndex ? 'Right: that one is real.' : 'No: that one the bot wrote.', i === r.realIndex ? 'ok' : 'warn');
    score.textContent = `Score: ${right} of ${played}`;
    play.textContent = 'Next round';
  };

  play.addEventListener('click', async () => {
    play.disabled = true;
    say(message, 'The bot is writing its tweet…');
    try {
      showRound(await app.engine.gameRound(round++));
      say(message, '');
    } catch (err) {
      say(message, errorText(err), 'error');
    }
    sync();
  });

  const sync = () => {
    const ready = Boolean(app.state.model) && app.state.archives.length > 0 && !app.state.training && !app.state.generating;
    play.disabled = !ready;
    play.title = ready ? '' : 'Load (or train) a model and add an archive first';
  };
  app.on('model', sync);
  app.on('data', sync);
  app.on('busy', sync);
}
