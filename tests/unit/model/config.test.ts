import { describe, expect, test } from 'vitest';
import { GPT2ConfigError, parseGPT2Config } from '../../../src/model/config';
import { tinyFile, tinyJson } from '../../helpers/fixtures';

const tiny = tinyJson<Record<string, unknown>>('config.json');

/** openai-community/gpt2's config.json (2019: n_ctx beside n_positions, no n_inner). */
const gpt2Small = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  vocab_size: 50257,
};

describe('parseGPT2Config', () => {
  test('the fixture, from bytes', () => {
    const c = parseGPT2Config(tinyFile('config.json'));
    expect(c).toMatchObject({
      vocabSize: 50257,
      nPositions: 128,
      nEmbd: 32,
      nLayer: 2,
      nHead: 2,
      nInner: 128,
      activation: 'gelu_new',
      layerNormEpsilon: 1e-5,
      embdPdrop: 0.1,
      attnPdrop: 0.1,
      residPdrop: 0.1,
      scaleAttnWeights: true,
      scaleAttnByInverseLayerIdx: false,
      eosTokenId: 50256,
    });
  });

  test('gpt2 small, distilgpt2 and xl shapes', () => {
    expect(parseGPT2Config(gpt2Small)).toMatchObject({ nPositions: 1024, nInner: 3072, nLayer: 12 });
    expect(parseGPT2Config({ ...gpt2Small, n_layer: 6, _num_labels: 1 }).nLayer).toBe(6);
    const xl = parseGPT2Config({ ...gpt2Small, n_embd: 1600, n_head: 25, n_layer: 48 });
    expect(xl.nInner).toBe(6400);
    expect(xl.nEmbd / xl.nHead).toBe(64);
  });

  test('n_positions wins over n_ctx; n_ctx alone is used', () => {
    expect(parseGPT2Config({ ...gpt2Small, n_ctx: 512 }).nPositions).toBe(1024);
    const { n_positions: _drop, ...onlyCtx } = { ...gpt2Small, n_ctx: 256 };
    expect(parseGPT2Config(onlyCtx).nPositions).toBe(256);
  });

  test('explicit n_inner, exact gelu, the tanh aliases, defaults for absent dropout', () => {
    expect(parseGPT2Config({ ...gpt2Small, n_inner: 1000 }).nInner).toBe(1000);
    expect(parseGPT2Config({ ...gpt2Small, activation_function: 'gelu' }).activation).toBe('gelu');
    expect(parseGPT2Config({ ...gpt2Small, activation_function: 'gelu_pytorch_tanh' }).activation).toBe('gelu_new');
    const { attn_pdrop: _a, resid_pdrop: _r, embd_pdrop: _e, ...noDropout } = gpt2Small;
    expect(parseGPT2Config({ ...noDropout }).attnPdrop).toBe(0.1);
    expect(parseGPT2Config({ ...gpt2Small, attn_pdrop: 0 }).attnPdrop).toBe(0);
  });

  test('a huggingtweets-style 2021 config', () => {
    const c = parseGPT2Config({
      ...gpt2Small,
      gradient_checkpointing: false,
      task_specific_params: { 'text-generation': { do_sample: true, max_length: 160, min_length: 10, prefix: '<|endoftext|>' } },
      transformers_version: '4.9.0',
      use_cache: true,
      n_inner: null,
    });
    expect(c.nInner).toBe(3072);
  });

  const errors: [string, unknown, RegExp][] = [
    ['not JSON', '{nope', /not valid JSON/],
    ['an array', [], /JSON object/],
    ['missing n_embd', { ...tiny, n_embd: undefined }, /missing field "n_embd"/],
    ['missing n_head', { ...tiny, n_head: undefined }, /missing field "n_head"/],
    ['missing vocab_size', { ...tiny, vocab_size: undefined }, /missing field "vocab_size"/],
    ['missing n_positions and n_ctx', { ...tiny, n_positions: undefined, n_ctx: undefined }, /missing field "n_ctx"/],
    ['n_embd not divisible by n_head', { ...tiny, n_head: 3 }, /n_embd \(32\) is not divisible by n_head \(3\)/],
    ['fractional n_layer', { ...tiny, n_layer: 1.5 }, /"n_layer" must be a positive integer/],
    ['string n_layer', { ...tiny, n_layer: '2' }, /"n_layer" must be a positive integer/],
    ['a BERT model', { ...tiny, model_type: 'bert' }, /model_type is "bert"/],
    ['GPT2Model (no LM head)', { ...tiny, architectures: ['GPT2Model'] }, /only GPT2LMHeadModel/],
    ['neither model_type nor architectures', { ...tiny, model_type: undefined, architectures: undefined }, /neither model_type nor architectures/],
    ['relu', { ...tiny, activation_function: 'relu' }, /activation_function "relu"/],
    ['dropout out of range', { ...tiny, attn_pdrop: 1.5 }, /"attn_pdrop"/],
    ['untied embeddings', { ...tiny, tie_word_embeddings: false }, /tie_word_embeddings/],
  ];
  for (const [what, input, message] of errors) {
    test(`error: ${what}`, () => {
      const source = typeof input === 'string' ? input : JSON.parse(JSON.stringify(input));
      expect(() => parseGPT2Config(source)).toThrow(GPT2ConfigError);
      expect(() => parseGPT2Config(source)).toThrow(message);
    });
  }
});
