/**
 * A model ready to use: the GPT-2 in tfjs, its tokenizer, and the repo files it came from (kept
 * for the export, which ships the same config and tokenizer files).
 */
import { loadGPT2, loadTokenizer, type GPT2, type Tokenizer } from '../model/index';
import type { ModelInfo } from './api';

export interface LoadedModel {
  gpt2: GPT2;
  tokenizer: Tokenizer;
  files: Record<string, Uint8Array>;
  info: ModelInfo;
}

/** Files that travel with a model besides its weights (config and tokenizer). */
export const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
] as const;

export function sideFiles(files: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of SIDE_FILES) if (files[name]) out[name] = files[name];
  return out;
}

/** Builds the model and its tokenizer; a missing tokenizer or bad weights throw a readable Error. */
export async function buildModel(
  files: Record<string, Uint8Array>,
  info: Omit<ModelInfo, 'params' | 'config' | 'loadMs'>,
  opts: { maxTensorBytes?: number; startedAt: number },
): Promise<LoadedModel> {
  const tokenizer = loadTokenizer(files);
  const gpt2 = await loadGPT2(files, { maxTensorBytes: opts.maxTensorBytes });
  if (tokenizer.vocabSize > gpt2.config.vocabSize) {
    gpt2.dispose();
    throw new Error(`The tokenizer has ${tokenizer.vocabSize} tokens but the model only ${gpt2.config.vocabSize}: they do not belong together.`);
  }
  const c = gpt2.config;
  const params = Object.values(gpt2.params).reduce((n, v) => n + v.size, 0);
  return {
    gpt2,
    tokenizer,
    files,
    info: {
      ...info,
      params,
      config: { nLayer: c.nLayer, nHead: c.nHead, nEmbd: c.nEmbd, nPositions: c.nPositions, vocabSize: c.vocabSize },
      loadMs: Math.round(performance.now() - opts.startedAt),
    },
  };
}
