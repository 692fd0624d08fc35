/**
 * GPT-2's byte-level BPE tokenizer, built from a model repo's files held in memory, through
 * transformers.js (which does the BPE merges, the pre-tokenizer regex and the special tokens).
 *
 * Repos made since 2020 ship `tokenizer.json`; older ones (the 2021 huggingtweets/* models)
 * may only have `vocab.json` + `merges.txt`, from which the same tokenizer.json is assembled.
 */
import { PreTrainedTokenizer, env } from '@xenova/transformers';

// We hand transformers.js every file ourselves: it must never look for one on disk or online
// (a dev server answering a missing file with index.html would be cached as JSON).
env.allowLocalModels = false;
env.allowRemoteModels = false;

const END_OF_TEXT = '<|endoftext|>';
const REPLACEMENT_CHAR = '\uFFFD';

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export interface Tokenizer {
  /** Token ids of `text`; no special tokens are added, a literal '<|endoftext|>' becomes its id. */
  encode(text: string): number[];
  /** The exact text of `ids` (no clean-up of spaces before punctuation). */
  decode(ids: ArrayLike<number>): string;
  /** Id of the end-of-text token (50256 for GPT-2). */
  readonly eosId: number;
  readonly vocabSize: number;
  /** A decoder for ids arriving one at a time (see StreamDecoder). */
  streamDecoder(): StreamDecoder;
}

/**
 * Build the tokenizer from a repo's files (keys are file names): tokenizer.json (+ optional
 * tokenizer_config.json, special_tokens_map.json), or vocab.json + merges.txt.
 */
export function loadTokenizer(files: Record<string, Uint8Array>): Tokenizer {
  const config = plainTokenStrings(readJson(files, 'tokenizer_config.json') ?? {});
  const specialMap = readJson(files, 'special_tokens_map.json') ?? {};
  let tokenizerJson = readJson(files, 'tokenizer.json');
  if (!tokenizerJson) {
    if (!files['vocab.json'] || !files['merges.txt']) {
      const missing = ['vocab.json', 'merges.txt'].filter((n) => !files[n]).join(' and ');
      throw new TokenizerError(
        `no tokenizer in this model: tokenizer.json is missing, and so is ${missing} to build it from`,
      );
    }
    const vocab = readJson(files, 'vocab.json') as Record<string, number>;
    const merges = new TextDecoder().decode(files['merges.txt']);
    const specials = specialTokenNames(config, specialMap);
    tokenizerJson = tokenizerJsonFromVocabAndMerges(vocab, merges, specials);
  }
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = new PreTrainedTokenizer(tokenizerJson, config);
  } catch (err) {
    throw new TokenizerError(`tokenizer files could not be read: ${(err as Error).message}`);
  }
  return new GPT2Tokenizer(tokenizer, config, specialMap);
}

class GPT2Tokenizer implements Tokenizer {
  readonly eosId: number;
  readonly vocabSize: number;

  constructor(
    private readonly inner: PreTrainedTokenizer,
    config: Record<string, unknown>,
    specialMap: Record<string, unknown>,
  ) {
    const ids = (inner.model as unknown as { tokens_to_ids: Map<string, number> }).tokens_to_ids;
    const eosName = tokenContent(config.eos_token) ?? tokenContent(specialMap.eos_token) ?? END_OF_TEXT;
    const eosId = ids.get(eosName) ?? ids.get(END_OF_TEXT);
    if (eosId === undefined) throw new TokenizerError(`the vocabulary has no end-of-text token "${eosName}"`);
    this.eosId = eosId;
    this.vocabSize = (inner.model as unknown as { vocab: unknown[] }).vocab.length;
  }

  encode(text: string): number[] {
    return this.inner.encode(text, null, { add_special_tokens: false });
  }

  decode(ids: ArrayLike<number>): string {
    return this.inner.decode(Array.from(ids), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  streamDecoder(): StreamDecoder {
    return new StreamDecoder(this);
  }
}

/**
 * Turns ids arriving one at a time into text as soon as it is complete. A multi-byte character
 * (an emoji can take 3 tokens) decodes to U+FFFD until its last byte arrives, so the decoder
 * re-decodes the ids since the last complete point and holds back a trailing U+FFFD.
 * The pieces returned by push() and flush() concatenate to decode(all ids).
 */
export class StreamDecoder {
  /** Ids since the text last ended on a whole character. */
  private pending: number[] = [];
  /** Characters of decode(pending) already returned. */
  private emitted = 0;

  constructor(private readonly tokenizer: Pick<Tokenizer, 'decode'>) {}

  /** Add one id; returns the text it completes (often '', never half a character). */
  push(id: number): string {
    this.pending.push(id);
    const text = this.tokenizer.decode(this.pending);
    let stable = text.length;
    while (stable > 0 && text[stable - 1] === REPLACEMENT_CHAR) stable--;
    const out = stable > this.emitted ? text.slice(this.emitted, stable) : '';
    if (stable === text.length) {
      // Whole characters only: byte-level decoding restarts cleanly from here.
      this.pending = [];
      this.emitted = 0;
    } else {
      this.emitted = Math.max(this.emitted, stable);
    }
    return out;
  }

  /** The held-back rest, U+FFFD included if the ids really end inside a character. */
  flush(): string {
    const text = this.pending.length > 0 ? this.tokenizer.decode(this.pending) : '';
    const out = text.slice(this.emitted);
    this.pending = [];
    this.emitted = 0;
    return out;
  }
}

/**
 * The tokenizer.json that Hugging Face's GPT2TokenizerFast builds from vocab.json and
 * merges.txt: byte-level pre-tokenizer (GPT-2's regex, no prefix space), BPE, byte-level decoder,
 * with the special tokens (end of text) as added tokens so they are matched whole in text.
 */
export function tokenizerJsonFromVocabAndMerges(
  vocab: Record<string, number>,
  mergesTxt: string,
  specialTokens: string[] = [END_OF_TEXT],
): Record<string, unknown> {
  if (!vocab || typeof vocab !== 'object') throw new TokenizerError('vocab.json is not a JSON object');
  const merges = mergesTxt
    .split(/\r?\n/)
    .filter((line, i) => line.trim() !== '' && !(i === 0 && line.startsWith('#version')));
  for (const m of merges) {
    if (m.split(' ').length !== 2) throw new TokenizerError(`merges.txt: a line is not two tokens: "${m}"`);
  }
  const added = [...new Set(specialTokens)]
    .filter((t) => vocab[t] !== undefined)
    .map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

function specialTokenNames(config: Record<string, unknown>, specialMap: Record<string, unknown>): string[] {
  const names = [END_OF_TEXT];
  for (const source of [config, specialMap]) {
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const name = tokenContent(source[key]);
      if (name) names.push(name);
    }
  }
  return names;
}

/**
 * transformers.js accepts a special token in tokenizer_config.json as a string or as
 * { "__type": "AddedToken", "content": ... }; older files write the object without __type.
 */
function plainTokenStrings(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('_token') && value !== null && typeof value === 'object') out[key] = tokenContent(value) ?? null;
  }
  return out;
}

/** A special token as configs write it: "<|endoftext|>" or { "content": "<|endoftext|>", ... }. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

function readJson(files: Record<string, Uint8Array>, name: string): Record<string, unknown> | undefined {
  const bytes = files[name];
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new TokenizerError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}
