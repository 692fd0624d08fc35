/**
 * GPT-2 from a Hugging Face repo's files, and back to a model.safetensors.
 *
 *   const model = await loadGPT2({ 'config.json': ..., 'model.safetensors': ... });
 *   const tokenizer = loadTokenizer({ 'tokenizer.json': ..., 'tokenizer_config.json': ... });
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseGPT2Config } from './config';
import { GPT2, type GPT2Options } from './gpt2';
import { checkpointName } from './params';
import { readGPT2Checkpoint, writeSafetensors, type NamedFloatTensor } from './weights';

export { GPT2 } from './gpt2';
export { CHUNK_SEPARATOR, checkpointName, gpt2ParamShapes, randomGPT2Weights } from './params';
export type { GPT2Options, ForwardOptions, KVCache, LoraAdapter } from './gpt2';
export { parseGPT2Config, GPT2ConfigError } from './config';
export type { GPT2Config, Activation } from './config';
export { loadTokenizer, StreamDecoder, TokenizerError, tokenizerJsonFromVocabAndMerges } from './tokenizer';
export type { Tokenizer } from './tokenizer';
/** LoRA adapters in PEFT's format: `saveLoraAdapter(model, { baseModel })`, `loadLoraAdapter(model, files)`. */
export { ADAPTER_CONFIG, ADAPTER_WEIGHTS, loadLoraAdapter, parseAdapterConfig, saveLoraAdapter } from './lora-adapter';
export type { PeftLoraConfig } from './lora-adapter';

/**
 * Build a GPT-2 from a repo's files, keyed by file name: `config.json` and the weights
 * (`model.safetensors`, or `pytorch_model.bin` as 2021 checkpoints ship, or their sharded forms).
 */
export async function loadGPT2(files: Record<string, Uint8Array>, options: GPT2Options = {}): Promise<GPT2> {
  const configBytes = files['config.json'];
  if (!configBytes) throw new Error('config.json is missing: it says how large the GPT-2 is');
  const config = parseGPT2Config(configBytes);
  // The weights view the file's bytes (no copy): the backend copies them into its own memory.
  const weights = await readGPT2Checkpoint(files, config, { shareBuffer: true });
  return GPT2.fromWeights(config, weights, options);
}

/**
 * The model's weights as an openai-community/gpt2-style model.safetensors: every tensor F32,
 * named without a `transformer.` prefix and without lm_head (tied to wte), wte chunks joined,
 * LoRA adapters merged (W + scale * A @ B). The causal-mask buffers (`h.N.attn.bias`) are not
 * written: transformers rebuilds them.
 */
export async function saveSafetensors(model: GPT2, metadata?: Record<string, string>): Promise<Uint8Array> {
  if (model.isDisposed) throw new Error('saveSafetensors: the model has been disposed');
  const groups = new Map<string, string[]>();
  for (const key of Object.keys(model.params)) {
    const name = checkpointName(key);
    groups.set(name, [...(groups.get(name) ?? []), key]);
  }
  const tensors: NamedFloatTensor[] = [];
  for (const [name, keys] of groups) {
    const parts = name === 'wte.weight' ? model.wteParamKeys : keys;
    const adapter = model.adapters.get(name);
    const values: Float32Array[] = [];
    for (const key of parts) {
      const v = model.params[key];
      const merged = adapter
        ? tf.tidy(() => tf.add(v, tf.mul(tf.matMul(adapter.A, adapter.B), adapter.scale)))
        : null;
      try {
        values.push((await (merged ?? v).data()) as Float32Array);
      } finally {
        merged?.dispose();
      }
    }
    const first = model.params[parts[0]].shape;
    const rows = parts.reduce((n, key) => n + model.params[key].shape[0], 0);
    const shape = parts.length === 1 ? first : [rows, ...first.slice(1)];
    tensors.push({ name, shape, data: values.length === 1 ? values[0] : concatFloats(values) });
  }
  return writeSafetensors(tensors, metadata);
}

function concatFloats(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
