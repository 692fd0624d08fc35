import { describe, expect, test } from 'vitest';
import { loadTokenizer, StreamDecoder, TokenizerError, type Tokenizer } from '../../../src/model/tokenizer';
import { tinyFile, tinyJson } from '../../helpers/fixtures';

interface TokenizationCase {
  text: string;
  ids: number[];
}
const { cases } = tinyJson<{ cases: TokenizationCase[] }>('tokenization.json');

const files = (...names: string[]) => Object.fromEntries(names.map((n) => [n, tinyFile(n)]));

const sources: [string, () => Tokenizer][] = [
  ['tokenizer.json', () => loadTokenizer(files('tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'))],
  ['vocab.json + merges.txt (a 2021 repo)', () => loadTokenizer(files('vocab.json', 'merges.txt', 'special_tokens_map.json'))],
];

for (const [source, load] of sources) {
  describe(`tokenizer from ${source}`, () => {
    const tok = load();

    test('eos id and vocabulary size', () => {
      expect(tok.eosId).toBe(50256);
      expect(tok.vocabSize).toBe(50257);
    });

    for (const c of cases) {
      test(`encodes ${JSON.stringify(c.text)} like the independent BPE, and decodes it back exactly`, () => {
        expect(tok.encode(c.text)).toEqual(c.ids);
        expect(tok.decode(c.ids)).toBe(c.text);
        expect(tok.decode(Int32Array.from(c.ids))).toBe(c.text);
      });
    }

    test('streaming decode never emits half a character and adds up to the text', () => {
      for (const c of cases) {
        const stream = tok.streamDecoder();
        const pieces = c.ids.map((id) => stream.push(id));
        pieces.push(stream.flush());
        for (const p of pieces) expect(p).not.toContain('\uFFFD');
        expect(pieces.join('')).toBe(c.text);
      }
    });
  });
}

describe('StreamDecoder', () => {
  const tok = loadTokenizer(files('tokenizer.json', 'tokenizer_config.json'));

  test('an emoji split over three tokens comes out whole on the last one', () => {
    const ids = tok.encode(' 🙃');
    expect(ids.length).toBe(3); // ' ' + the emoji's 4 bytes spread over 3 byte-level tokens
    const stream = tok.streamDecoder();
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces).toEqual([' ', '', '🙃']);
    expect(stream.flush()).toBe('');
  });

  test('emoji-heavy text streamed token by token', () => {
    const text = 'ok 😂😂 🙃 👍🏽 family: 👨‍👩‍👧 flags 🇯🇵 done <|endoftext|>next';
    const ids = tok.encode(text);
    const stream = tok.streamDecoder();
    let out = '';
    for (const id of ids) {
      const piece = stream.push(id);
      expect(piece).not.toContain('\uFFFD');
      out += piece;
    }
    expect(out + stream.flush()).toBe(text);
  });

  test('ids that really end inside a character are released by flush()', () => {
    const [a, b] = tok.encode('🙃'); // first two of the emoji's tokens
    const stream = new StreamDecoder(tok);
    expect(stream.push(a) + stream.push(b)).toBe('');
    expect(stream.flush()).toContain('\uFFFD');
    expect(stream.flush()).toBe('');
  });
});

describe('loadTokenizer errors', () => {
  test('no tokenizer files at all', () => {
    expect(() => loadTokenizer(files('config.json'))).toThrow(TokenizerError);
    expect(() => loadTokenizer({})).toThrow(/tokenizer\.json is missing, and so is vocab\.json and merges\.txt/);
  });
  test('vocab.json without merges.txt', () => {
    expect(() => loadTokenizer(files('vocab.json'))).toThrow(/merges\.txt/);
  });
  test('a broken tokenizer.json', () => {
    expect(() => loadTokenizer({ 'tokenizer.json': new TextEncoder().encode('{"model": ') })).toThrow(/tokenizer\.json is not valid JSON/);
  });
  test('an old tokenizer_config.json with AddedToken objects lacking __type still loads', () => {
    const config = { eos_token: { content: '<|endoftext|>', lstrip: false }, bos_token: '<|endoftext|>', model_max_length: 1024 };
    const tok = loadTokenizer({
      'tokenizer.json': tinyFile('tokenizer.json'),
      'tokenizer_config.json': new TextEncoder().encode(JSON.stringify(config)),
    });
    expect(tok.eosId).toBe(50256);
    expect(tok.encode('My dream is')).toEqual([3666, 4320, 318]);
  });
});
