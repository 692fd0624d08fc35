import { describe, expect, it } from 'vitest';
import { HubError } from '../../../src/hub/errors';
import {
  chooseFromNames,
  fileUrl,
  hubLocation,
  parseRepo,
  shardsFromIndex,
} from '../../../src/hub/urls';

const enc = (s: string) => new TextEncoder().encode(s);
const noRead = () => {
  throw new Error('read not expected');
};

describe('parseRepo', () => {
  it('accepts org/name and bare legacy names', () => {
    expect(parseRepo('openai-community/gpt2')).toBe('openai-community/gpt2');
    expect(parseRepo('  gpt2 ')).toBe('gpt2');
    expect(parseRepo('distilgpt2')).toBe('distilgpt2');
    expect(parseRepo('huggingtweets/dril')).toBe('huggingtweets/dril');
    expect(parseRepo('Org_1/model.v2-small')).toBe('Org_1/model.v2-small');
  });

  it('reduces a pasted hub address to the repo name', () => {
    expect(parseRepo('https://huggingface.co/openai-community/gpt2')).toBe('openai-community/gpt2');
    expect(parseRepo('https://huggingface.co/openai-community/gpt2/tree/main')).toBe('openai-community/gpt2');
    expect(parseRepo('https://huggingface.co/gpt2/resolve/main/config.json')).toBe('gpt2');
  });

  it.each([
    ['', /Enter a model name/],
    ['a/b/c', /expected "organization\/name"/],
    ['gpt 2', /may use only letters/],
    ['-gpt2', /must not start or end/],
    ['org/name.', /must not start or end/],
    ['org/na--me', /may use only letters/],
    ['../etc', /may use only letters|expected/],
    ['org//name', /expected "organization\/name"/],
    ['x'.repeat(97), /at most 96/],
  ])('rejects %j with a clear message', (input, message) => {
    let caught: unknown;
    try {
      parseRepo(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HubError);
    expect((caught as HubError).code).toBe('invalid-repo');
    expect((caught as HubError).message).toMatch(message);
  });
});

describe('fileUrl', () => {
  it('uses the hub layout with main as the default revision', () => {
    expect(fileUrl('openai-community/gpt2', 'config.json')).toBe(
      'https://huggingface.co/openai-community/gpt2/resolve/main/config.json',
    );
    expect(fileUrl('gpt2', 'model.safetensors', { host: 'http://127.0.0.1:8080/', revision: 'v1.0' })).toBe(
      'http://127.0.0.1:8080/gpt2/resolve/v1.0/model.safetensors',
    );
    expect(fileUrl('a/b', 'x y.json', { revision: 'refs/pr/1' })).toBe(
      'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/x%20y.json',
    );
  });

  it('rejects a host that is not http(s)', () => {
    expect(() => hubLocation({ host: 'ftp://x' })).toThrow(/not an http\(s\) address/);
  });
});

describe('chooseModelFiles', () => {
  it('prefers safetensors and tokenizer.json, and adds the optional files present', async () => {
    const choice = await chooseFromNames(
      ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tokenizer.json', 'vocab.json', 'merges.txt', 'generation_config.json', 'README.md'],
      noRead,
    );
    expect(choice).toEqual({
      files: ['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json'],
      missing: [],
      weightsFormat: 'safetensors',
    });
  });

  it('falls back to pytorch_model.bin and vocab.json + merges.txt (2021 repos)', async () => {
    const choice = await chooseFromNames(['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt', 'special_tokens_map.json'], noRead);
    expect(choice.files).toEqual(['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt', 'special_tokens_map.json']);
    expect(choice.weightsFormat).toBe('pytorch');
    expect(choice.missing).toEqual([]);
  });

  it('follows a sharded safetensors index to its shards', async () => {
    const index = enc(JSON.stringify({ weight_map: { 'wte.weight': 'model-00001-of-00002.safetensors', 'h.0.ln_1.weight': 'model-00002-of-00002.safetensors', 'wpe.weight': 'model-00001-of-00002.safetensors' } }));
    const choice = await chooseFromNames(
      ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'tokenizer.json'],
      () => index,
    );
    expect(choice.files).toEqual(['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'tokenizer.json']);
    expect(choice.missing).toEqual(['model-00002-of-00002.safetensors (a weight shard listed in model.safetensors.index.json)']);
    expect(shardsFromIndex(index)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  it('names everything missing', async () => {
    const choice = await chooseFromNames(['vocab.json', 'README.md'], noRead);
    expect(choice.missing).toEqual([
      'config.json',
      'weights (model.safetensors or pytorch_model.bin)',
      'tokenizer (tokenizer.json, or vocab.json + merges.txt)',
    ]);
    expect(choice.weightsFormat).toBeNull();
  });

  it('rejects an index with unsafe shard names', () => {
    expect(() => shardsFromIndex(enc('{"weight_map":{"a":"../x.safetensors"}}'))).toThrow(/no usable shard/);
    expect(() => shardsFromIndex(enc('not json'))).toThrow(/not valid JSON/);
  });
});
