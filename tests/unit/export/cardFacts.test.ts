/** The model card tells what was used (issue 11, point 6): the tweets' languages, no repeated name. */
import { describe, expect, it } from 'vitest';
import { writeModelCard, type ModelCardInput } from '../../../src/export/modelCard';
import { detectLanguage, detectLanguages } from '../../../src/archive/language';

const one: ModelCardInput = {
  botName: 'milahu104',
  displayNames: ['Mila'],
  usernames: ['milahu104'],
  stats: [{ username: 'milahu104', displayName: 'Mila', downloaded: 10, retweets: 0, short: 0, kept: 10 }],
  baseModel: 'distilgpt2',
  training: { epochs: 1, steps: 2, lr: 1e-4, batch: 2, mode: 'full', blockSize: 64, valLossBefore: 5, valLossAfter: 4, trainLoss: 4, seconds: 400, backend: 'wasm' },
  date: new Date('2026-11-30T00:00:00Z'),
};

const german = [
  'Ich habe heute das neue Buch gelesen und es ist wirklich gut',
  'Warum ist die Bahn schon wieder zu spät, das kann doch nicht sein',
  'Morgen gehen wir mit den Kindern auf den Markt',
  'Das Wetter ist nicht so schön, aber wir machen das Beste daraus',
  'Just a short English one about the weather and the train',
];

describe('the languages of the tweets', () => {
  it('tells German from English tweet by tweet', () => {
    expect(detectLanguage(german[0])).toBe('de');
    expect(detectLanguage(german[4])).toBe('en');
    expect(detectLanguage('これは日本語のツイートです')).toBe('ja');
    expect(detectLanguage('🤖🤖 12')).toBeNull();
  });

  it('lists the languages used, most used first', () => {
    expect(detectLanguages(german)).toEqual(['de', 'en']);
    expect(detectLanguages(german.slice(0, 4))).toEqual(['de']);
    expect(detectLanguages(['😀'])).toEqual([]);
  });
});

describe('the card', () => {
  it('writes the languages of the kept tweets, not a fixed "en"', () => {
    const card = writeModelCard({ ...one, languages: ['de', 'en'] });
    expect(card.startsWith('---\nlanguage:\n- de\n- en\nthumbnail: ')).toBe(true);
    expect(writeModelCard({ ...one, languages: ['de'] }).startsWith('---\nlanguage: de\n')).toBe(true);
    expect(writeModelCard({ ...one, languages: [] })).not.toMatch(/^language:/m);
  });

  it('does not repeat the username in the header', () => {
    const card = writeModelCard(one);
    const header = card.slice(card.indexOf('<div class="inline-flex'), card.indexOf('</div>\n\n') + 6);
    expect(header.match(/milahu104/g)).toHaveLength(1);
    // A bot name that says more than the handles is still shown.
    expect(writeModelCard({ ...one, botName: 'my-special-bot' })).toContain('>my-special-bot</div>');
  });

  it('states the block size and the time it is given', () => {
    const card = writeModelCard(one);
    expect(card).toContain('| Block size | 64 tokens |');
    expect(card).toContain('| Training time | 6 min 40 s (400 s) on the wasm backend |');
  });
});
