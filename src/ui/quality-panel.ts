/**
 * "Did the fine-tune work?": under the training panel, the current model's validation loss and
 * perplexity before and after fine-tuning (per person for a merged bot), and how many of the 20
 * seeded tweets written after training copy a training tweet.
 */
import './quality.css';
import type { QualityReport } from '../engine/api';
import type { App } from './app';
import { $, h } from './dom';
import { num } from './format';

const lossText = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : `${num(x)} (perplexity ${num(Math.exp(x), 1)})`);

export function mountQualityPanel(app: App): void {
  const panel = h('div', { id: 'quality', class: 'quality', 'aria-live': 'polite' });
  panel.hidden = true;
  $('train-message').after(panel);

  const render = (q: QualityReport | null) => {
    panel.hidden = q === null;
    if (!q) return panel.replaceChildren();
    const children: Array<HTMLElement> = [h('h3', {}, 'How good is it?')];
    children.push(h('p', { id: 'quality-loss' }, `Validation loss on held-out tweets: ${lossText(q.valLossBefore)} before → ${lossText(q.valLossAfter)} after fine-tuning.`));
    if (q.people.length) {
      const table = h('table', { id: 'quality-people' }, h('thead', {}, h('tr', {}, h('th', {}, 'Person'), h('th', {}, 'Held-out tweets'), h('th', {}, 'Loss before'), h('th', {}, 'Loss after'))));
      const body = h('tbody');
      for (const p of q.people) body.append(h('tr', {}, h('td', {}, p.username ? `${p.displayName || p.username} (@${p.username})` : `${p.displayName || 'Unnamed'} (no handle given)`), h('td', {}, String(p.valTweets)), h('td', {}, lossText(p.valLossBefore)), h('td', {}, lossText(p.valLossAfter))));
      table.append(body);
      // A narrow screen scrolls the table sideways rather than the page.
      children.push(h('div', { class: 'table-scroll' }, table));
    }
    children.push(h('p', { id: 'quality-copies', class: q.copies > 0 ? 'message warn' : 'message ok' }, `${q.copies} of the ${q.samples.length} seeded tweets written after training copy a training tweet.`));
    const list = h('ol', { class: 'seeded' });
    for (const s of q.samples) list.append(h('li', { 'data-copies': s.copy ? 'yes' : 'no' }, s.text.trim() || '(empty)', s.copy ? h('span', { class: 'badge copies' }, 'copies') : null));
    const st = q.sampleSettings;
    children.push(h('details', {}, h('summary', {}, `The ${q.samples.length} seeded tweets (no prompt; seeds ${q.samples[0]?.seed ?? ''}–${q.samples.at(-1)?.seed ?? ''}, up to ${st.maxNewTokens} tokens, temperature ${st.temperature}, top-k ${st.topK}, top-p ${st.topP})`), list));
    panel.replaceChildren(...children);
  };

  app.on('model', async () => {
    if (!app.state.model || app.state.model.kind !== 'finetuned') return render(null);
    render(await app.engine.qualityReport().catch(() => null));
  });
}
