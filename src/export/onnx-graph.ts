/**
 * GPT-2 as an ONNX graph (opset 13) in the layout transformers.js runs for a decoder-only model,
 * the one Hugging Face optimum exports as `model.onnx` with past key values:
 *
 *   inputs   input_ids [batch, sequence] int64, attention_mask [batch, past + sequence] int64,
 *            position_ids [batch, sequence] int64,
 *            past_key_values.{i}.key / .value [batch, heads, past, head size] float (past may be 0)
 *   outputs  logits [batch, sequence, vocab], present.{i}.key / .value [batch, heads, past + sequence, head size]
 *
 * The equations are ../model/gpt2.ts's: pre-LN blocks, causal attention over past + new keys
 * (query j sits at position past + j and sees keys 0..past + j that the attention mask keeps,
 * masked scores set to float32's lowest as transformers does), GELU (tanh or erf), the LM head
 * tied to wte. LayerNorm and GELU are written out in elementary ops, which onnxruntime fuses.
 *
 * dtype 'q8': every weight matrix (wte, wpe, the four projections of each block) is an INT8
 * initializer with one float scale per output channel (wte and wpe: per row; a Conv1D weight
 * [in, out]: per column), turned back into floats in the graph by Cast and Mul. Symmetric:
 * q = round(w / s), s = max |w| / 127 over the channel. Norms and biases stay float.
 */
import type { GPT2Config } from '../model/config';
import { DataType, type AttributeProto, type DataTypeValue, type NodeProto, type StreamedTensor, type TensorProto, type ValueInfoProto } from './onnx-proto';

export type OnnxDType = 'fp32' | 'q8';
export const OPSET = 13;
/** IR version 8 (ONNX 1.13), which onnxruntime 1.14 (transformers.js 2.x's) reads. */
export const IR_VERSION = 8;
const FLOAT32_LOWEST = -3.4028234663852886e38;

/** A streamed initializer and the checkpoint tensor (model.safetensors name) it is made from. */
export interface PlannedInitializer extends StreamedTensor {
  source: string;
  /** what is written: the float values, or the int8 values / per-channel scales of a quantized matrix */
  part: 'float' | 'int8' | 'scale';
  /** For int8/scale: the channel axis of the source matrix (0: rows, 1: columns). */
  channelAxis?: 0 | 1;
}

export interface OnnxGraphPlan {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  /** small constants (shapes, scalars), encoded with the graph */
  constants: TensorProto[];
  /** the weights, streamed in this order */
  initializers: PlannedInitializer[];
}

function valueInfo(name: string, elemType: DataTypeValue, dims: Array<number | string>): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, value: number | number[], kind: 'int' | 'float' | 'ints'): AttributeProto {
  const T = { int: 2, float: 1, ints: 7 } as const; // AttributeProto.AttributeType INT, FLOAT, INTS
  if (kind === 'int') return { name, type: T.int, i: value as number };
  if (kind === 'float') return { name, type: T.float, f: value as number };
  return { name, type: T.ints, ints: value as number[] };
}

class Builder {
  readonly nodes: NodeProto[] = [];
  readonly constants: TensorProto[] = [];
  private count = 0;

  op(opType: string, inputs: string[], attrs: AttributeProto[] = [], output?: string): string {
    const name = output ?? `${opType.toLowerCase()}_${this.count}`;
    this.nodes.push({ opType, input: inputs, output: [name], name: `n${this.count++}_${opType}`, attribute: attrs });
    return name;
  }

  /** Split into several outputs. */
  split(input: string, sizes: number[], axis: number): string[] {
    const outputs = sizes.map((_, k) => `split_${this.count}_${k}`);
    this.nodes.push({ opType: 'Split', input: [input, this.ints(`split_sizes_${this.count}`, sizes)], output: outputs, name: `n${this.count++}_Split`, attribute: [attribute('axis', axis, 'int')] });
    return outputs;
  }

  ints(name: string, values: number[], scalar = false): string {
    this.constants.push({ name, dims: scalar ? [] : [values.length], dataType: DataType.INT64, int64Data: values });
    return name;
  }

  float(name: string, value: number): string {
    this.constants.push({ name, dims: [], dataType: DataType.FLOAT, floatData: [value] });
    return name;
  }
}

/** The graph of a GPT-2 with this config, and the initializers to stream after it. */
export function planOnnxGraph(config: GPT2Config, dtype: OnnxDType): OnnxGraphPlan {
  if (dtype !== 'fp32' && dtype !== 'q8') throw new Error(`ONNX export: unknown dtype "${String(dtype)}" (fp32 or q8)`);
  const { nEmbd: C, nHead: H, nInner: I, vocabSize: V, nPositions: P, nLayer: L } = config;
  const D = C / H;
  const g = new Builder();
  const initializers: PlannedInitializer[] = [];

  const floatInit = (source: string, dims: number[]): string => {
    initializers.push({ name: source, dims, dataType: DataType.FLOAT, source, part: 'float' });
    return source;
  };
  /** A weight matrix as a float tensor in the graph; int8 + per-channel scale when quantized. */
  const matrix = (source: string, dims: [number, number], channelAxis: 0 | 1): string => {
    if (dtype === 'fp32') return floatInit(source, dims);
    const q = `${source}.int8`;
    const s = `${source}.scale`;
    initializers.push({ name: q, dims, dataType: DataType.INT8, source, part: 'int8', channelAxis });
    initializers.push({ name: s, dims: channelAxis === 0 ? [dims[0], 1] : [dims[1]], dataType: DataType.FLOAT, source, part: 'scale', channelAxis });
    return g.op('Mul', [g.op('Cast', [q], [attribute('to', DataType.FLOAT, 'int')]), s]);
  };

  const eps = g.float('layer_norm_epsilon', config.layerNormEpsilon);
  const layerNorm = (x: string, prefix: string): string => {
    const gamma = floatInit(`${prefix}.weight`, [C]);
    const beta = floatInit(`${prefix}.bias`, [C]);
    // ReduceMean takes its axes as an attribute until opset 18.
    const mean = g.op('ReduceMean', [x], [attribute('axes', [-1], 'ints')]);
    const d = g.op('Sub', [x, mean]);
    const variance = g.op('ReduceMean', [g.op('Mul', [d, d])], [attribute('axes', [-1], 'ints')]);
    const y = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [variance, eps])])]);
    return g.op('Add', [g.op('Mul', [y, gamma]), beta]);
  };
  const conv1d = (x: string, prefix: string, nIn: number, nOut: number): string =>
    g.op('Add', [g.op('MatMul', [x, matrix(`${prefix}.weight`, [nIn, nOut], 1)]), floatInit(`${prefix}.bias`, [nOut])]);
  const half = g.float('half', 0.5);
  const one = g.float('one', 1);
  const gelu = (x: string): string => {
    let inner: string;
    if (config.activation === 'gelu') {
      inner = g.op('Erf', [g.op('Mul', [x, g.float(`inv_sqrt2_${g.nodes.length}`, Math.SQRT1_2)])]);
    } else {
      const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const poly = g.op('Add', [x, g.op('Mul', [x3, g.float(`gelu_c_${g.nodes.length}`, 0.044715)])]);
      inner = g.op('Tanh', [g.op('Mul', [poly, g.float(`gelu_k_${g.nodes.length}`, Math.sqrt(2 / Math.PI))])]);
    }
    return g.op('Mul', [g.op('Mul', [x, half]), g.op('Add', [inner, one])]);
  };

  // Embeddings.
  const wte = matrix('wte.weight', [V, C], 0);
  const wpe = matrix('wpe.weight', [P, C], 0);
  let x = g.op('Add', [g.op('Gather', [wte, 'input_ids'], [attribute('axis', 0, 'int')]), g.op('Gather', [wpe, 'position_ids'], [attribute('axis', 0, 'int')])]);

  // The mask, shared by every block: allowed[b, 0, j, k] = k <= past + j and attention_mask[b, k].
  const idx0 = g.ints('index_0', [0], true);
  const idx1 = g.ints('index_1', [1], true);
  const idx2 = g.ints('index_2', [2], true);
  const seq = g.op('Gather', [g.op('Shape', ['input_ids']), idx1], [attribute('axis', 0, 'int')]);
  const past = g.op('Gather', [g.op('Shape', ['past_key_values.0.key']), idx2], [attribute('axis', 0, 'int')]);
  const total = g.op('Add', [past, seq]);
  const step = g.ints('step_1', [1], true);
  const keyPos = g.op('Unsqueeze', [g.op('Range', [idx0, total, step]), g.ints('axes_0', [0])]);
  const queryPos = g.op('Unsqueeze', [g.op('Range', [past, total, step]), g.ints('axes_1', [1])]);
  const causal = g.op('LessOrEqual', [keyPos, queryPos]);
  const keep = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], [attribute('to', DataType.BOOL, 'int')]), g.ints('axes_1_2', [1, 2])]);
  const allowed = g.op('And', [causal, keep]);
  const lowest = g.float('float32_lowest', FLOAT32_LOWEST);
  const headShape = g.ints('shape_heads', [0, 0, H, D]);
  const mergedShape = g.ints('shape_merged', [0, 0, C]);

  for (let i = 0; i < L; i++) {
    const h = `h.${i}`;
    const [q, k, v] = g.split(conv1d(layerNorm(x, `${h}.ln_1`), `${h}.attn.c_attn`, C, 3 * C), [C, C, C], 2);
    const heads = (t: string): string => g.op('Transpose', [g.op('Reshape', [t, headShape])], [attribute('perm', [0, 2, 1, 3], 'ints')]);
    const keys = g.op('Concat', [`past_key_values.${i}.key`, heads(k)], [attribute('axis', 2, 'int')], `present.${i}.key`);
    const values = g.op('Concat', [`past_key_values.${i}.value`, heads(v)], [attribute('axis', 2, 'int')], `present.${i}.value`);
    let scale = config.scaleAttnWeights ? 1 / Math.sqrt(D) : 1;
    if (config.scaleAttnByInverseLayerIdx) scale /= i + 1;
    const scores = g.op('Mul', [g.op('MatMul', [heads(q), g.op('Transpose', [keys], [attribute('perm', [0, 1, 3, 2], 'ints')])]), g.float(`attn_scale_${i}`, scale)]);
    const probs = g.op('Softmax', [g.op('Where', [allowed, scores, lowest])], [attribute('axis', -1, 'int')]);
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, values])], [attribute('perm', [0, 2, 1, 3], 'ints')]), mergedShape]);
    x = g.op('Add', [x, conv1d(context, `${h}.attn.c_proj`, C, C)]);
    const m = conv1d(gelu(conv1d(layerNorm(x, `${h}.ln_2`), `${h}.mlp.c_fc`, C, I)), `${h}.mlp.c_proj`, I, C);
    x = g.op('Add', [x, m]);
  }
  const final = layerNorm(x, 'ln_f');
  g.op('MatMul', [final, g.op('Transpose', [wte], [attribute('perm', [1, 0], 'ints')])], [], 'logits');

  const kv = (prefix: string, len: string): ValueInfoProto[] =>
    Array.from({ length: L }, (_, i) => [valueInfo(`${prefix}.${i}.key`, DataType.FLOAT, ['batch_size', H, len, D]), valueInfo(`${prefix}.${i}.value`, DataType.FLOAT, ['batch_size', H, len, D])]).flat();
  return {
    nodes: g.nodes,
    inputs: [
      valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', DataType.INT64, ['batch_size', 'past_sequence_length + sequence_length']),
      valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
      ...kv('past_key_values', 'past_sequence_length'),
    ],
    outputs: [valueInfo('logits', DataType.FLOAT, ['batch_size', 'sequence_length', V]), ...kv('present', 'past_sequence_length + sequence_length')],
    constants: g.constants,
    initializers,
  };
}
