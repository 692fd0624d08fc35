/**
 * A bot as one GGUF file (version 3) that llama.cpp, Ollama, LM Studio and wllama load: the
 * layout llama.cpp's convert_hf_to_gguf.py writes for a GPT2LMHeadModel.
 *
 *   wte → token_embd            wpe → position_embd            ln_f → output_norm
 *   h.N.ln_1 → blk.N.attn_norm  h.N.attn.c_attn → blk.N.attn_qkv  h.N.attn.c_proj → blk.N.attn_output
 *   h.N.ln_2 → blk.N.ffn_norm   h.N.mlp.c_fc → blk.N.ffn_up      h.N.mlp.c_proj → blk.N.ffn_down
 *
 * Conv1D weights are stored [in, out]; llama.cpp wants torch's Linear layout [out, in] (ne =
 * [in, out]), so they are transposed. No `output` tensor: llama.cpp ties the LM head to
 * token_embd when it is absent. LoRA adapters are merged (W + scale A B).
 *
 * dtype 'q8_0' stores every weight matrix whose rows are whole Q8_0 blocks (32 values) as Q8_0;
 * norms, biases and position_embd stay f32 (as the converter keeps them).
 *
 * Tensors are fetched and written one at a time, so besides the source weights only the output
 * and one tensor's working copy are held.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2 } from '../model/gpt2';
import type { GPT2Config } from '../model/config';
import { parseGPT2Config } from '../model/config';
import { checkpointName } from '../model/params';
import { readGPT2Checkpoint } from '../model/weights/index';
import {
  float32Bytes,
  GGML_TYPE_F32,
  GGML_TYPE_Q8_0,
  ggufHeader,
  GgufType,
  Q8_0_BLOCK,
  quantizeQ8_0,
  type GgmlType,
  type GgufTensorInfo,
  type GgufValue,
} from './gguf-format';
import { ggufTokenizerKv } from './gguf-tokenizer';

export type GgufDType = 'f32' | 'q8_0';

export interface GgufOptions {
  dtype: GgufDType;
  /** general.name (the bot's name); "tweetgpt bot" when omitted. */
  name?: string;
}

/** One checkpoint tensor (model.safetensors name) as float32, LoRA merged, wte whole. */
export type TensorSource = (checkpointName: string) => Promise<Float32Array>;

/** llama.cpp's LLAMA_FTYPE: ALL_F32 and MOSTLY_Q8_0. */
const FILE_TYPE: Record<GgufDType, number> = { f32: 0, q8_0: 7 };
/** ggml's GGML_QNT_VERSION, which the converter writes as general.quantization_version. */
const QUANTIZATION_VERSION = 2;

interface PlannedTensor extends GgufTensorInfo {
  /** model.safetensors name */
  source: string;
  /** Conv1D weight [in, out] written as [out, in] */
  transpose: boolean;
}

/** The GGUF tensors of a GPT-2, in file order, and where each comes from. */
export function planGgufTensors(config: GPT2Config, dtype: GgufDType): PlannedTensor[] {
  const { nEmbd: C, nInner: I, vocabSize: V, nPositions: P } = config;
  const matrix = (ne: number[]): GgmlType => (dtype === 'q8_0' && ne[0] % Q8_0_BLOCK === 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F32);
  const f32 = (name: string, source: string, ne: number[]): PlannedTensor => ({ name, source, ne, type: GGML_TYPE_F32, transpose: false });
  const out: PlannedTensor[] = [
    { name: 'token_embd.weight', source: 'wte.weight', ne: [C, V], type: matrix([C, V]), transpose: false },
    f32('position_embd.weight', 'wpe.weight', [C, P]),
  ];
  for (let i = 0; i < config.nLayer; i++) {
    const h = `h.${i}`;
    const b = `blk.${i}`;
    const conv = (name: string, source: string, nIn: number, nOut: number): PlannedTensor[] => [
      { name: `${b}.${name}.weight`, source: `${h}.${source}.weight`, ne: [nIn, nOut], type: matrix([nIn, nOut]), transpose: true },
      f32(`${b}.${name}.bias`, `${h}.${source}.bias`, [nOut]),
    ];
    out.push(
      f32(`${b}.attn_norm.weight`, `${h}.ln_1.weight`, [C]),
      f32(`${b}.attn_norm.bias`, `${h}.ln_1.bias`, [C]),
      ...conv('attn_qkv', 'attn.c_attn', C, 3 * C),
      ...conv('attn_output', 'attn.c_proj', C, C),
      f32(`${b}.ffn_norm.weight`, `${h}.ln_2.weight`, [C]),
      f32(`${b}.ffn_norm.bias`, `${h}.ln_2.bias`, [C]),
      ...conv('ffn_up', 'mlp.c_fc', C, I),
      ...conv('ffn_down', 'mlp.c_proj', I, C),
    );
  }
  out.push(f32('output_norm.weight', 'ln_f.weight', [C]), f32('output_norm.bias', 'ln_f.bias', [C]));
  return out;
}

/** The model's key-value pairs, as convert_hf_to_gguf.py's GPT2Model writes them. */
function modelKv(config: GPT2Config, opts: GgufOptions): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: GgufType.UINT32, value });
  return [
    ['general.architecture', { type: GgufType.STRING, value: 'gpt2' }],
    ['general.name', { type: GgufType.STRING, value: opts.name?.trim() || 'tweetgpt bot' }],
    ['general.alignment', u32(32)],
    ['gpt2.block_count', u32(config.nLayer)],
    ['gpt2.context_length', u32(config.nPositions)],
    ['gpt2.embedding_length', u32(config.nEmbd)],
    ['gpt2.feed_forward_length', u32(config.nInner)],
    ['gpt2.attention.head_count', u32(config.nHead)],
    ['gpt2.attention.layer_norm_epsilon', { type: GgufType.FLOAT32, value: config.layerNormEpsilon }],
    ['general.file_type', u32(FILE_TYPE[opts.dtype])],
    ['general.quantization_version', u32(QUANTIZATION_VERSION)],
  ];
}

/** [in, out] row-major → [out, in] row-major. */
function transposed(values: Float32Array, nIn: number, nOut: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    for (let o = 0; o < nOut; o++) out[o * nIn + i] = values[row + o];
  }
  return out;
}

/**
 * Writes the GGUF file of a GPT-2 piece by piece: `emit(bytes, position, fileSize)` gets the
 * header, then each tensor's bytes at its place in the file (gaps are zero padding). Returns the
 * file's size.
 */
export async function writeGguf(
  config: GPT2Config,
  source: TensorSource,
  tokenizerFiles: Record<string, Uint8Array>,
  opts: GgufOptions,
  emit: (bytes: Uint8Array, position: number, fileSize: number) => void | Promise<void>,
): Promise<number> {
  if (opts.dtype !== 'f32' && opts.dtype !== 'q8_0') throw new Error(`GGUF export: unknown dtype "${String(opts.dtype)}" (f32 or q8_0)`);
  if (config.scaleAttnByInverseLayerIdx) {
    throw new Error('This model scales attention by the inverse layer index, which llama.cpp\'s GPT-2 does not do: it cannot be exported as .gguf.');
  }
  const tensors = planGgufTensors(config, opts.dtype);
  const kv = [...modelKv(config, opts), ...ggufTokenizerKv(tokenizerFiles, config.vocabSize, config)];
  const layout = ggufHeader(kv, tensors);
  await emit(layout.header, 0, layout.totalBytes);
  for (let t = 0; t < tensors.length; t++) {
    const info = tensors[t];
    let values = await source(info.source);
    const expected = info.ne.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`GGUF export: ${info.source} holds ${values.length} values, ${info.name} needs ${expected}`);
    if (info.transpose) values = transposed(values, info.ne[0], info.ne[1]);
    const bytes = info.type === GGML_TYPE_Q8_0 ? quantizeQ8_0(values) : float32Bytes(values);
    await emit(bytes, layout.header.length + layout.offsets[t], layout.totalBytes);
  }
  return layout.totalBytes;
}

/** The checkpoint tensors of a live model: LoRA merged, wte chunks joined, read one at a time. */
export function modelTensorSource(model: GPT2): TensorSource {
  return async (name) => {
    const keys = name === 'wte.weight' ? model.wteParamKeys : Object.keys(model.params).filter((k) => checkpointName(k) === name);
    if (keys.length === 0) throw new Error(`GGUF export: the model has no tensor ${name}`);
    const adapter = model.adapters.get(name);
    const parts: Float32Array[] = [];
    for (const key of keys) {
      const v = model.params[key];
      const merged = adapter ? tf.tidy(() => tf.add(v, tf.mul(tf.matMul(adapter.A, adapter.B), adapter.scale))) : null;
      try {
        parts.push((await (merged ?? v).data()) as Float32Array);
      } finally {
        merged?.dispose();
      }
    }
    if (parts.length === 1) return parts[0];
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
}

/**
 * The model as a .gguf file for llama.cpp (and Ollama, LM Studio, wllama). `tokenizerFiles` are
 * the repo's tokenizer files (tokenizer.json + tokenizer_config.json, or vocab.json + merges.txt).
 */
export async function saveGguf(model: GPT2, tokenizerFiles: Record<string, Uint8Array>, options: GgufOptions): Promise<Uint8Array> {
  if (model.isDisposed) throw new Error('saveGguf: the model has been disposed');
  let out = new Uint8Array(0);
  await writeGguf(model.config, modelTensorSource(model), tokenizerFiles, options, (bytes, position, fileSize) => {
    if (out.length !== fileSize) out = new Uint8Array(fileSize);
    out.set(bytes, position);
  });
  return out;
}

/** The same file as a Blob built from its parts (no whole-file copy), for a download in the page. */
export async function ggufBlob(config: GPT2Config, source: TensorSource, tokenizerFiles: Record<string, Uint8Array>, options: GgufOptions): Promise<Blob> {
  const parts: BlobPart[] = [];
  let end = 0;
  await writeGguf(config, source, tokenizerFiles, options, (bytes, position) => {
    if (position > end) parts.push(new Uint8Array(position - end));
    parts.push(bytes as Uint8Array<ArrayBuffer>);
    end = position + bytes.length;
  });
  return new Blob(parts, { type: 'application/octet-stream' });
}

/**
 * A stored model's repo files (config.json, the weights, the tokenizer files) as a .gguf Blob,
 * for the page's export: the tensors view the weight file's bytes (no copy) and go into the
 * output one at a time, so the weights are held twice at most (the file and the .gguf).
 */
export async function ggufFromRepoFiles(files: Record<string, Uint8Array>, options: GgufOptions): Promise<Blob> {
  if (!files['config.json']) throw new Error('config.json is missing: it says how large the GPT-2 is');
  const config = parseGPT2Config(files['config.json']);
  const weights = await readGPT2Checkpoint(files, config, { shareBuffer: true });
  return ggufBlob(config, async (name) => {
    const w = weights[name];
    if (!w) throw new Error(`GGUF export: the checkpoint has no tensor ${name}`);
    return w.data;
  }, files, options);
}
