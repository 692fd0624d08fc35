/**
 * ONNX's protobuf messages through `onnx-proto` (protobufjs code generated from ONNX's own
 * onnx.proto), and the one thing it cannot do by itself: write a model whose large initializers
 * are streamed in after the graph, so the weights are never held a second time as messages.
 *
 * A ModelProto is its small fields, then field 7 (the GraphProto) as length + bytes. The graph's
 * own bytes are its nodes, inputs, outputs and small constants (encoded by protobufjs), then each
 * large initializer as field 5: a TensorProto whose name, dims and data_type are encoded by
 * protobufjs and whose raw_data (field 9) follows as length + bytes. All lengths are known from the
 * shapes before any weight is read, so the file is written front to back, one tensor at a time.
 */
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal';

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const DataType = onnx.TensorProto.DataType;
export type DataTypeValue = onnxProto.onnx.TensorProto.DataType;

/** Bytes per element of the data types written here. */
export const ELEMENT_BYTES: Partial<Record<DataTypeValue, number>> = { [DataType.FLOAT]: 4, [DataType.INT8]: 1, [DataType.INT64]: 8 };

/** A large initializer: its header now, its bytes later. */
export interface StreamedTensor {
  name: string;
  dims: number[];
  dataType: DataTypeValue;
}

const LENGTH_DELIMITED = 2;
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

function tagAndLength(field: number, length: number): Uint8Array {
  return protobuf.Writer.create().uint32((field << 3) | LENGTH_DELIMITED).uint32(length).finish();
}

export function tensorByteLength(t: StreamedTensor): number {
  const size = ELEMENT_BYTES[t.dataType];
  if (size === undefined) throw new Error(`ONNX export: no byte size for data type ${t.dataType}`);
  return t.dims.reduce((a, b) => a * b, 1) * size;
}

export interface ModelLayout {
  /** Everything before the first streamed tensor's raw bytes. */
  head: Uint8Array;
  /** Per streamed tensor: the bytes that precede its raw data (field 5 + TensorProto header + field 9 prefix). */
  prefixes: Uint8Array[];
  totalBytes: number;
}

/**
 * Lays out a ModelProto: `model` without a graph, `graph` without the streamed tensors (which are
 * appended to it as initializers in order). Write head, then per tensor its prefix and raw bytes.
 */
export function layoutModel(model: onnxProto.onnx.IModelProto, graph: onnxProto.onnx.IGraphProto, streamed: StreamedTensor[]): ModelLayout {
  if (model.graph) throw new Error('layoutModel: pass the graph separately');
  const modelBytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  const graphBytes = onnx.GraphProto.encode(onnx.GraphProto.create(graph)).finish();
  const prefixes = streamed.map((t) => {
    const header = onnx.TensorProto.encode(onnx.TensorProto.create({ name: t.name, dims: t.dims, dataType: t.dataType })).finish();
    const raw = tagAndLength(TENSOR_RAW_DATA, tensorByteLength(t));
    const tensorLength = header.length + raw.length + tensorByteLength(t);
    const field = tagAndLength(GRAPH_INITIALIZER, tensorLength);
    const out = new Uint8Array(field.length + header.length + raw.length);
    out.set(field, 0);
    out.set(header, field.length);
    out.set(raw, field.length + header.length);
    return out;
  });
  const graphLength = graphBytes.length + streamed.reduce((n, t, i) => n + prefixes[i].length + tensorByteLength(t), 0);
  const graphField = tagAndLength(MODEL_GRAPH, graphLength);
  const head = new Uint8Array(modelBytes.length + graphField.length + graphBytes.length);
  head.set(modelBytes, 0);
  head.set(graphField, modelBytes.length);
  head.set(graphBytes, modelBytes.length + graphField.length);
  return { head, prefixes, totalBytes: modelBytes.length + graphField.length + graphLength };
}

/** Decodes a whole file (tests, and small models only: it copies every tensor). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
