/**
 * The GPT-2 tokenizer as GGUF metadata, the way llama.cpp's convert_hf_to_gguf.py writes it
 * (`_set_vocab_gpt2` + gguf-py's SpecialVocab): every id's token string in id order (ids the
 * repo lacks become "[PAD<id>]", type UNUSED), its type (NORMAL, CONTROL for special added
 * tokens, USER_DEFINED for other added ones), the BPE merges as "left right", and the
 * begin/end-of-text ids. Read from the repo's tokenizer.json, or vocab.json + merges.txt.
 */
import { tokenizerJsonFromVocabAndMerges, TokenizerError } from '../model/tokenizer';
import { GgufType, type GgufValue } from './gguf-format';

/** gguf-py's TokenType. */
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;

const END_OF_TEXT = '<|endoftext|>';

export interface GgufTokenizerIds {
  /** config.json's ids, used when tokenizer_config.json names no bos/eos token. */
  bosTokenId: number | null;
  eosTokenId: number | null;
}

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

function json(files: Record<string, Uint8Array>, name: string): Record<string, unknown> | undefined {
  const bytes = files[name];
  if (!bytes) return undefined;
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new TokenizerError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}

function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** The tokenizer.json of the repo (assembled from vocab.json + merges.txt for 2021 repos). */
function tokenizerJson(files: Record<string, Uint8Array>, config: Record<string, unknown>): Record<string, unknown> {
  const tj = json(files, 'tokenizer.json');
  if (tj) return tj;
  if (!files['vocab.json'] || !files['merges.txt']) {
    throw new TokenizerError('The model has no tokenizer to put in the .gguf: tokenizer.json is missing, and so are vocab.json and merges.txt.');
  }
  const specials = [END_OF_TEXT, ...['bos_token', 'eos_token', 'unk_token', 'pad_token'].flatMap((k) => tokenName(config[k]) ?? [])];
  return tokenizerJsonFromVocabAndMerges(json(files, 'vocab.json') as Record<string, number>, new TextDecoder().decode(files['merges.txt']), specials);
}

/** The `tokenizer.ggml.*` key-value pairs for a model with `vocabSize` embedding rows. */
export function ggufTokenizerKv(files: Record<string, Uint8Array>, vocabSize: number, ids: GgufTokenizerIds): Array<[string, GgufValue]> {
  const config = json(files, 'tokenizer_config.json') ?? {};
  const tj = tokenizerJson(files, config);
  const model = tj.model as { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]> } | undefined;
  if (!model || (model.type !== undefined && model.type !== 'BPE') || !model.vocab || !Array.isArray(model.merges)) {
    throw new TokenizerError('tokenizer.json does not hold a byte-level BPE vocabulary and merges (GPT-2\'s tokenizer)');
  }
  const added = new Map<number, AddedToken>();
  for (const t of (tj.added_tokens ?? []) as AddedToken[]) added.set(t.id, t);

  const byId: Array<string | undefined> = new Array(vocabSize);
  const place = (token: string, id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new TokenizerError(`The tokenizer has token "${token}" with id ${id}, but the model has only ${vocabSize} embedding rows.`);
    }
    byId[id] = token;
  };
  for (const [token, id] of Object.entries(model.vocab)) place(token, id);
  for (const t of added.values()) place(t.content, t.id);

  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const token = byId[i];
    if (token === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(UNUSED);
      continue;
    }
    const a = added.get(i);
    tokens.push(token);
    types.push(a ? (a.special || /^<\|.*\|>$/.test(token) ? CONTROL : USER_DEFINED) : NORMAL);
  }
  const merges = model.merges.map((m) => (typeof m === 'string' ? m : m.join(' ')));

  const idOf = (key: 'bos_token' | 'eos_token', fallback: number | null): number => {
    const name = tokenName(config[key]);
    const fromName = name === undefined ? undefined : tokens.indexOf(name);
    if (fromName !== undefined && fromName >= 0) return fromName;
    if (fallback !== null && fallback >= 0 && fallback < vocabSize) return fallback;
    const eot = tokens.indexOf(END_OF_TEXT);
    if (eot < 0) throw new TokenizerError(`The tokenizer names no ${key.replace('_', ' ')} and has no ${END_OF_TEXT}.`);
    return eot;
  };
  return [
    ['tokenizer.ggml.model', { type: GgufType.STRING, value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: GgufType.STRING, value: 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: GgufType.ARRAY, itemType: GgufType.STRING, value: tokens }],
    ['tokenizer.ggml.token_type', { type: GgufType.ARRAY, itemType: GgufType.INT32, value: types }],
    ['tokenizer.ggml.merges', { type: GgufType.ARRAY, itemType: GgufType.STRING, value: merges }],
    ['tokenizer.ggml.bos_token_id', { type: GgufType.UINT32, value: idOf('bos_token', ids.bosTokenId) }],
    ['tokenizer.ggml.eos_token_id', { type: GgufType.UINT32, value: idOf('eos_token', ids.eosTokenId) }],
    // The page's tokenizer (like transformers' GPT-2 tokenizer) adds no token in front of a prompt.
    ['tokenizer.ggml.add_bos_token', { type: GgufType.BOOL, value: false }],
  ];
}
