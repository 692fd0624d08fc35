/**
 * GPT-2's tensors as checkpoints name them: names and shapes in openai-community/gpt2's
 * model.safetensors layout, fresh weights as transformers initialises them, and how the token
 * embedding is split into row chunks ('wte.weight#0', 'wte.weight#1', ...) where a device binds
 * at most `maxTensorBytes` per tensor (see ./gpt2, which holds the model itself).
 */
import type { GPT2Config } from './config';
import { gaussian, mulberry32 } from '../random';
import type { RawTensor } from './weights/types';

/** Separates 'wte.weight' from its chunk number in `params` keys. */
export const CHUNK_SEPARATOR = '#';

/** The checkpoint tensor a `params` key belongs to: 'wte.weight#1' → 'wte.weight'. */
export function checkpointName(paramKey: string): string {
  const at = paramKey.indexOf(CHUNK_SEPARATOR);
  return at < 0 ? paramKey : paramKey.slice(0, at);
}

/** Name and shape of every tensor of a GPT-2 checkpoint, in model.safetensors' naming. */
export function gpt2ParamShapes(config: GPT2Config): Record<string, number[]> {
  const { vocabSize: V, nPositions: P, nEmbd: C, nInner: I } = config;
  const shapes: Record<string, number[]> = { 'wte.weight': [V, C], 'wpe.weight': [P, C] };
  for (let i = 0; i < config.nLayer; i++) {
    Object.assign(shapes, {
      [`h.${i}.ln_1.weight`]: [C],
      [`h.${i}.ln_1.bias`]: [C],
      [`h.${i}.attn.c_attn.weight`]: [C, 3 * C],
      [`h.${i}.attn.c_attn.bias`]: [3 * C],
      [`h.${i}.attn.c_proj.weight`]: [C, C],
      [`h.${i}.attn.c_proj.bias`]: [C],
      [`h.${i}.ln_2.weight`]: [C],
      [`h.${i}.ln_2.bias`]: [C],
      [`h.${i}.mlp.c_fc.weight`]: [C, I],
      [`h.${i}.mlp.c_fc.bias`]: [I],
      [`h.${i}.mlp.c_proj.weight`]: [I, C],
      [`h.${i}.mlp.c_proj.bias`]: [C],
    });
  }
  shapes['ln_f.weight'] = [C];
  shapes['ln_f.bias'] = [C];
  return shapes;
}

/**
 * Fresh weights as transformers initialises GPT-2: N(0, 0.02) matrices, c_proj weights scaled
 * by 1/sqrt(2 n_layer), layer-norm gains 1, biases 0. For benchmarks and tests.
 */
export function randomGPT2Weights(config: GPT2Config, seed = 0): Record<string, RawTensor> {
  const normal = gaussian(mulberry32(seed));
  const out: Record<string, RawTensor> = {};
  for (const [name, shape] of Object.entries(gpt2ParamShapes(config))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('.bias')) {
      // zeros
    } else if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) {
      data.fill(1);
    } else {
      const std = name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * config.nLayer) : 0.02;
      for (let i = 0; i < data.length; i++) data[i] = std * normal();
    }
    out[name] = { shape, data };
  }
  return out;
}

/** Rows [start, end) of wte, stored under `key`. */
export interface WteChunk {
  key: string;
  start: number;
  end: number;
}

/** How wte is split so that no chunk is over maxTensorBytes (rows spread evenly). */
export function wteChunks(config: GPT2Config, maxTensorBytes: number): WteChunk[] {
  const V = config.vocabSize;
  const rowBytes = config.nEmbd * 4;
  if (V * rowBytes <= maxTensorBytes) return [{ key: 'wte.weight', start: 0, end: V }];
  const maxRows = Math.floor(maxTensorBytes / rowBytes);
  if (maxRows < 1) throw new Error(`maxTensorBytes ${maxTensorBytes} cannot hold one embedding row (${rowBytes} bytes)`);
  const n = Math.ceil(V / maxRows);
  const rows = Math.ceil(V / n);
  const chunks: WteChunk[] = [];
  for (let k = 0, start = 0; start < V; k++, start += rows) {
    chunks.push({ key: `wte.weight${CHUNK_SEPARATOR}${k}`, start, end: Math.min(V, start + rows) });
  }
  return chunks;
}

/** Throws when one tensor is over the device's per-tensor limit. */
export function checkFits(name: string, shape: number[], maxTensorBytes: number): void {
  const bytes = shape.reduce((a, b) => a * b, 4);
  if (bytes > maxTensorBytes) {
    throw new Error(`GPT-2 tensor "${name}" needs ${bytes} bytes, more than this device's limit of ${maxTensorBytes}`);
  }
}

/** The chunk number of a wte key: 'wte.weight#2' → 2 (0 for an unsplit wte). */
export function chunkIndex(key: string): number {
  const at = key.indexOf(CHUNK_SEPARATOR);
  return at < 0 ? 0 : Number(key.slice(at + 1));
}

/** Whether two shapes are equal, axis by axis. */
export function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
