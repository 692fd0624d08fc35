/**
 * The model shapes the benchmark uses, as Hugging Face config.json objects, so each goes through
 * the same `parseGPT2Config` a downloaded model does.
 */
import { parseGPT2Config, type GPT2Config } from '../src/model/config';

export type ShapeName = 'gpt2' | 'distilgpt2' | 'pair' | 'tiny';

const GPT2_VOCAB = 50257;

/** config.json of each shape: gpt2 and distilgpt2 as published; `pair` and `tiny` are ours. */
export const SHAPE_CONFIGS: Record<ShapeName, Record<string, unknown>> = {
  gpt2: { model_type: 'gpt2', vocab_size: GPT2_VOCAB, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, eos_token_id: 50256 },
  distilgpt2: { model_type: 'gpt2', vocab_size: GPT2_VOCAB, n_positions: 1024, n_embd: 768, n_layer: 6, n_head: 12, eos_token_id: 50256 },
  // Small enough for the peer comparison on a slow backend (cpu, or webgl on SwiftShader) in about a minute.
  pair: { model_type: 'gpt2', vocab_size: 8192, n_positions: 64, n_embd: 256, n_layer: 2, n_head: 4, eos_token_id: 8191 },
  // For a quick run on the tfjs cpu backend (`--small`): every code path, seconds not minutes.
  tiny: { model_type: 'gpt2', vocab_size: 4096, n_positions: 256, n_embd: 128, n_layer: 2, n_head: 4, eos_token_id: 4095 },
};

export function shapeConfig(name: ShapeName): GPT2Config {
  return parseGPT2Config(SHAPE_CONFIGS[name]);
}

/** Parameters of a GPT-2 with a tied LM head (wte counted once), as model.safetensors holds them. */
export function paramCount(c: GPT2Config): number {
  const C = c.nEmbd;
  const perLayer = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * c.nInner + c.nInner) + (c.nInner * C + C);
  return c.vocabSize * C + c.nPositions * C + c.nLayer * perLayer + 2 * C;
}

/** "12 layers, 12 heads, 768 wide, vocab 50257" */
export function describeShape(c: GPT2Config): string {
  return `${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, vocab ${c.vocabSize}, ${c.nPositions} positions`;
}
