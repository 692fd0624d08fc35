/**
 * The hyper-parameters of a GPT-2 checkpoint, read from a Hugging Face `config.json`
 * (model_type "gpt2", architecture GPT2LMHeadModel: gpt2, distilgpt2, gpt2-medium/large/xl,
 * the 2021 huggingtweets/* fine-tunes).
 */

export type Activation = 'gelu_new' | 'gelu';

export interface GPT2Config {
  vocabSize: number;
  /** Rows of the position embedding `wpe`: the longest context the model can see. */
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Width of the MLP's hidden layer (4 * nEmbd when config.json says null). */
  nInner: number;
  /** 'gelu_new' is the tanh approximation GPT-2 was trained with; 'gelu' is the exact erf form. */
  activation: Activation;
  layerNormEpsilon: number;
  embdPdrop: number;
  attnPdrop: number;
  residPdrop: number;
  /** Divide attention scores by sqrt(head size) (always true for the OpenAI checkpoints). */
  scaleAttnWeights: boolean;
  /** Also divide scores of block i by (i + 1), a Mistral/GPT-2 training-stability option. */
  scaleAttnByInverseLayerIdx: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
}

export class GPT2ConfigError extends Error {
  constructor(message: string) {
    super(`config.json: ${message}`);
    this.name = 'GPT2ConfigError';
  }
}

/** transformers' names for the tanh-approximated GELU; all compute the same function. */
const TANH_GELU_NAMES = new Set(['gelu_new', 'gelu_fast', 'gelu_pytorch_tanh', 'gelu_accurate']);

/** Parse a config.json given as text, bytes or an already-parsed object. */
export function parseGPT2Config(source: string | Uint8Array | unknown): GPT2Config {
  let json: unknown = source;
  if (source instanceof Uint8Array) json = new TextDecoder().decode(source);
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (err) {
      throw new GPT2ConfigError(`not valid JSON (${(err as Error).message})`);
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new GPT2ConfigError('expected a JSON object');
  }
  const c = json as Record<string, unknown>;

  if (c.model_type !== undefined && c.model_type !== 'gpt2') {
    throw new GPT2ConfigError(`model_type is "${String(c.model_type)}", only "gpt2" is supported`);
  }
  if (c.architectures !== undefined) {
    const archs = c.architectures;
    if (!Array.isArray(archs) || !archs.includes('GPT2LMHeadModel')) {
      throw new GPT2ConfigError(
        `architectures is ${JSON.stringify(archs)}, only GPT2LMHeadModel (a GPT-2 language model) is supported`,
      );
    }
  }
  if (c.model_type === undefined && c.architectures === undefined) {
    throw new GPT2ConfigError('neither model_type nor architectures is set; is this a GPT-2 config.json?');
  }

  const vocabSize = positiveInt(c, 'vocab_size');
  // Old configs carry both n_ctx and n_positions; n_positions sizes wpe, so it wins.
  const nPositions =
    c.n_positions !== undefined && c.n_positions !== null ? positiveInt(c, 'n_positions') : positiveInt(c, 'n_ctx');
  const nEmbd = positiveInt(c, 'n_embd');
  const nLayer = positiveInt(c, 'n_layer');
  const nHead = positiveInt(c, 'n_head');
  if (nEmbd % nHead !== 0) {
    throw new GPT2ConfigError(`n_embd (${nEmbd}) is not divisible by n_head (${nHead})`);
  }
  const nInner = c.n_inner === undefined || c.n_inner === null ? 4 * nEmbd : positiveInt(c, 'n_inner');

  const actName = c.activation_function === undefined ? 'gelu_new' : c.activation_function;
  let activation: Activation;
  if (typeof actName === 'string' && TANH_GELU_NAMES.has(actName)) activation = 'gelu_new';
  else if (actName === 'gelu') activation = 'gelu';
  else {
    throw new GPT2ConfigError(
      `activation_function "${String(actName)}" is not supported (use gelu_new or gelu)`,
    );
  }

  if (c.tie_word_embeddings === false) {
    throw new GPT2ConfigError('tie_word_embeddings is false; only GPT-2 with a tied LM head is supported');
  }

  return {
    vocabSize,
    nPositions,
    nEmbd,
    nLayer,
    nHead,
    nInner,
    activation,
    layerNormEpsilon: optionalNumber(c, 'layer_norm_epsilon', 1e-5, (x) => x > 0),
    embdPdrop: probability(c, 'embd_pdrop'),
    attnPdrop: probability(c, 'attn_pdrop'),
    residPdrop: probability(c, 'resid_pdrop'),
    scaleAttnWeights: optionalBool(c, 'scale_attn_weights', true),
    scaleAttnByInverseLayerIdx: optionalBool(c, 'scale_attn_by_inverse_layer_idx', false),
    bosTokenId: optionalTokenId(c, 'bos_token_id'),
    eosTokenId: optionalTokenId(c, 'eos_token_id'),
  };
}

function positiveInt(c: Record<string, unknown>, key: string): number {
  const v = c[key];
  if (v === undefined || v === null) throw new GPT2ConfigError(`missing field "${key}"`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new GPT2ConfigError(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalNumber(
  c: Record<string, unknown>,
  key: string,
  fallback: number,
  valid: (x: number) => boolean,
): number {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !valid(v)) {
    throw new GPT2ConfigError(`"${key}" has an invalid value ${JSON.stringify(v)}`);
  }
  return v;
}

function probability(c: Record<string, unknown>, key: string): number {
  // transformers' GPT2Config defaults every dropout rate to 0.1.
  return optionalNumber(c, key, 0.1, (x) => x >= 0 && x < 1);
}

function optionalBool(c: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new GPT2ConfigError(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optionalTokenId(c: Record<string, unknown>, key: string): number | null {
  const v = c[key];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  return null;
}
