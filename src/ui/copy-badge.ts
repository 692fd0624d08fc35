/**
 * What a generated tweet card says about copying: a "copies" badge with the original training
 * tweet and its date, or a note that copies were replaced; and the count above the cards.
 */
import './quality.css';
import type { CopyInfo, GenerateEvent } from '../engine/api';
import { h } from './dom';

/** Shows (or clears) the card's copy note, from the done event of its tweet. */
export function showCopy(card: HTMLElement, e: Pick<GenerateEvent, 'copy' | 'replaced' | 'gaveUp'>): void {
  card.querySelector('.copy-note')?.remove();
  card.dataset.copies = e.copy ? 'yes' : 'no';
  const body = card.querySelector('.text')?.parentElement ?? card;
  const actions = body.querySelector('.actions');
  const note = copyNote(e.copy ?? null, e.replaced ?? 0, e.gaveUp === true);
  if (note) body.insertBefore(note, actions);
}

function copyNote(copy: CopyInfo | null, replaced: number, gaveUp: boolean): HTMLElement | null {
  const tries = replaced + 1;
  if (copy) {
    const when = copy.date ? ` of ${copy.date.slice(0, 10)}` : '';
    return h(
      'div',
      { class: 'copy-note copies' },
      h('span', { class: 'badge copies' }, 'copies'),
      ` ${copy.run} of its ${copy.words} words in a row come from @${copy.username}’s tweet${when}:`,
      h('blockquote', { class: 'original' }, copy.original),
      h('time', { datetime: copy.date ?? '' }, copy.date ? copy.date.slice(0, 10) : 'date unknown'),
      gaveUp ? h('p', { class: 'gave-up' }, `“Only new tweets” gave up: all ${tries} tries copied a training tweet. This is the last one.`) : null,
    );
  }
  if (replaced > 0) return h('div', { class: 'copy-note replaced muted' }, `New tweet: ${replaced} ${replaced === 1 ? 'copy was' : 'copies were'} replaced.`);
  return null;
}

/** The line above the cards: how many of the tweets shown copy a training tweet. */
export function copyCountText(shown: number, copies: number, replaced: number, gaveUp = 0): string {
  if (shown === 0) return '';
  const tail = gaveUp > 0 ? ` “Only new tweets” gave up on ${gaveUp}: every try copied.` : '';
  const head = copies === 0 ? `None of the ${shown} tweets shown copies one of the training tweets.` : `${copies} of the ${shown} tweets shown ${copies === 1 ? 'copies' : 'copy'} a training tweet.`;
  return (replaced > 0 ? `${head} ${replaced} ${replaced === 1 ? 'copy was' : 'copies were'} replaced by new samples.` : head) + tail;
}
