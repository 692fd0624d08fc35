/**
 * A bot as ONNX files that transformers.js (`pipeline('text-generation', …)`) and onnxruntime
 * load: `onnx/model.onnx` (fp32) and `onnx/model_quantized.onnx` (8-bit weights, one scale per
 * output channel). The graph is ./onnx-graph.ts's; the protobuf framing ./onnx-proto.ts's. LoRA
 * is merged (the tensors come from the same source as the .gguf export).
 *
 * Memory: the graph is encoded without its weights; then each weight is fetched, converted and
 * written into the output one at a time. Besides the source weights only the output and one
 * tensor's working copy are held.
 */
import type { GPT2 } from '../model/gpt2';
import type { GPT2Config } from '../model/config';
import { parseGPT2Config } from '../model/config';
import { readGPT2Checkpoint } from '../model/weights/index';
import { modelTensorSource, type TensorSource } from './gguf';
import { IR_VERSION, OPSET, planOnnxGraph, type OnnxDType, type PlannedInitializer } from './onnx-graph';
import { layoutModel, tensorByteLength } from './onnx-proto';

export type { OnnxDType } from './onnx-graph';

export interface OnnxOptions {
  dtype: OnnxDType;
}

/** Where transformers.js looks for each file (`quantized: false` / the default `quantized: true`). */
export const ONNX_FILES: Record<OnnxDType, string> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

/**
 * Symmetric int8 per channel of a [rows, cols] matrix: channel axis 0 gives one scale per row,
 * 1 one per column. s = max |w| / 127 (1 for an all-zero channel), q = round(w / s).
 */
export function quantizePerChannel(values: Float32Array, rows: number, cols: number, axis: 0 | 1): { q: Int8Array; scales: Float32Array } {
  const n = axis === 0 ? rows : cols;
  const scales = new Float32Array(n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(values[r * cols + c]);
      const ch = axis === 0 ? r : c;
      if (a > scales[ch]) scales[ch] = a;
    }
  }
  for (let ch = 0; ch < n; ch++) scales[ch] = scales[ch] > 0 ? scales[ch] / 127 : 1;
  const q = new Int8Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = Math.round(values[r * cols + c] / scales[axis === 0 ? r : c]);
      q[r * cols + c] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
  return { q, scales };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Writes the ONNX file piece by piece: `emit(bytes, position, fileSize)` gets the parts in file
 * order, without gaps. Returns the file's size.
 */
export async function writeOnnx(
  config: GPT2Config,
  source: TensorSource,
  opts: OnnxOptions,
  emit: (bytes: Uint8Array, position: number, fileSize: number) => void | Promise<void>,
): Promise<number> {
  const plan = planOnnxGraph(config, opts.dtype);
  const layout = layoutModel(
    { irVersion: IR_VERSION, producerName: 'tweetgpt', opsetImport: [{ domain: '', version: OPSET }] },
    { name: 'gpt2', node: plan.nodes, input: plan.inputs, output: plan.outputs, initializer: plan.constants },
    plan.initializers,
  );
  let at = 0;
  const put = async (bytes: Uint8Array): Promise<void> => {
    await emit(bytes, at, layout.totalBytes);
    at += bytes.length;
  };
  await put(layout.head);
  // A quantized matrix gives two initializers in a row (int8, scale): converted once.
  let quantized = null as { source: string; q: Int8Array; scales: Float32Array } | null;
  for (let t = 0; t < plan.initializers.length; t++) {
    const info: PlannedInitializer = plan.initializers[t];
    let data: Uint8Array;
    if (info.part === 'float') {
      data = bytesOf(await checkedValues(source, info, info.dims));
    } else {
      if (quantized?.source !== info.source) {
        const dims = info.part === 'int8' ? info.dims : plan.initializers[t - 1].dims;
        const values = await checkedValues(source, info, dims);
        quantized = { source: info.source, ...quantizePerChannel(values, dims[0], dims[1], info.channelAxis ?? 0) };
      }
      data = info.part === 'int8' ? bytesOf(quantized.q) : bytesOf(quantized.scales);
      if (info.part === 'scale') quantized = null;
    }
    if (data.byteLength !== tensorByteLength(info)) throw new Error(`ONNX export: ${info.name} has ${data.byteLength} bytes, ${tensorByteLength(info)} expected`);
    await put(layout.prefixes[t]);
    await put(data);
  }
  if (at !== layout.totalBytes) throw new Error(`ONNX export: wrote ${at} bytes of ${layout.totalBytes}`);
  return layout.totalBytes;
}

async function checkedValues(source: TensorSource, info: PlannedInitializer, dims: number[]): Promise<Float32Array> {
  const values = await source(info.source);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new Error(`ONNX export: ${info.source} holds ${values.length} values, ${expected} expected`);
  return values;
}

/** The model as one .onnx file (LoRA merged): 'fp32', or 'q8' (8-bit weights, per-channel scales). */
export async function saveOnnx(model: GPT2, options: OnnxOptions): Promise<Uint8Array> {
  if (model.isDisposed) throw new Error('saveOnnx: the model has been disposed');
  let out = new Uint8Array(0);
  await writeOnnx(model.config, modelTensorSource(model), options, (bytes, position, fileSize) => {
    if (out.length !== fileSize) out = new Uint8Array(fileSize);
    out.set(bytes, position);
  });
  return out;
}

/** The same file as a Blob of its parts (no whole-file copy), for the page's export zip. */
export async function onnxBlob(config: GPT2Config, source: TensorSource, options: OnnxOptions): Promise<Blob> {
  // Float parts view the source's buffer (no copy): the Blob copies each part once, as it is made.
  const parts: BlobPart[] = [];
  await writeOnnx(config, source, options, (bytes) => {
    parts.push(bytes as Uint8Array<ArrayBuffer>);
  });
  return new Blob(parts, { type: 'application/octet-stream' });
}

/** A stored model's repo files (config.json and the weights) as a .onnx Blob; weights view the file's bytes. */
export async function onnxFromRepoFiles(files: Record<string, Uint8Array>, options: OnnxOptions): Promise<Blob> {
  if (!files['config.json']) throw new Error('config.json is missing: it says how large the GPT-2 is');
  const config = parseGPT2Config(files['config.json']);
  const weights = await readGPT2Checkpoint(files, config, { shareBuffer: true });
  return onnxBlob(config, async (name) => {
    const w = weights[name];
    if (!w) throw new Error(`ONNX export: the checkpoint has no tensor ${name}`);
    return w.data;
  }, options);
}
