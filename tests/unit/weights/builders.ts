/**
 * Test-side writers for the formats the weight readers parse: a pickle assembler (opcode by
 * opcode, so tests can build exactly the streams torch.save writes, and broken ones), a
 * torch.save-style zip, and small byte helpers.
 */
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter } from '@zip.js/zip.js';

export class PickleWriter {
  private readonly out: number[] = [];

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  /** Appends many bytes (spreading them into raw() would overflow the call stack past ~100k). */
  rawBytes(bytes: Uint8Array): this {
    for (const b of bytes) this.out.push(b);
    return this;
  }
  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }
  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  mark(): this {
    return this.raw(0x28);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  /** BINUNICODE, as torch writes every str. */
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    return this.raw(0x58, ...this.u32(bytes.length), ...bytes);
  }
  shortStr(s: string): this {
    const bytes = new TextEncoder().encode(s);
    return this.raw(0x8c, bytes.length, ...bytes);
  }
  /** BININT1 / BININT2 / BININT, the smallest that fits (as pickle does). */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a, ...this.u32(n >>> 0));
    return this.long1(BigInt(n));
  }
  long1(n: bigint): this {
    const bytes: number[] = [];
    let v = n;
    // two's complement, little-endian, minimal length (as pickle.encode_long)
    do {
      bytes.push(Number(BigInt.asUintN(8, v)));
      v >>= 8n;
    } while (!(v === 0n && (bytes[bytes.length - 1] & 0x80) === 0) && !(v === -1n && (bytes[bytes.length - 1] & 0x80) !== 0));
    if (n === 0n) return this.raw(0x8a, 0);
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.raw(0x47, ...b);
  }
  bool(b: boolean): this {
    return this.raw(b ? 0x88 : 0x89);
  }
  none(): this {
    return this.raw(0x4e);
  }
  /** TUPLE1/2/3 for short tuples, MARK ... TUPLE otherwise; the items must already be pushed (after mark() for long ones). */
  tuple(n: number): this {
    if (n === 0) return this.emptyTuple();
    if (n <= 3) return this.raw(0x84 + n);
    return this.raw(0x74);
  }
  intTuple(xs: readonly number[]): this {
    if (xs.length === 0) return this.emptyTuple();
    if (xs.length > 3) this.mark();
    for (const x of xs) this.int(x);
    return this.tuple(xs.length);
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  reduce(): this {
    return this.raw(0x52);
  }
  build(): this {
    return this.raw(0x62);
  }
  newobj(): this {
    return this.raw(0x81);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  append(): this {
    return this.raw(0x61);
  }
  appends(): this {
    return this.raw(0x65);
  }
  /** BINPUT, or LONG_BINPUT past 255 (as pickle does). */
  put(i: number): this {
    return i < 256 ? this.raw(0x71, i) : this.raw(0x72, ...this.u32(i));
  }
  get(i: number): this {
    return i < 256 ? this.raw(0x68, i) : this.raw(0x6a, ...this.u32(i));
  }
  memoize(): this {
    return this.raw(0x94);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.out);
  }
}

export type StorageType =
  | 'FloatStorage'
  | 'HalfStorage'
  | 'BFloat16Storage'
  | 'DoubleStorage'
  | 'LongStorage'
  | 'ByteStorage'
  | 'BoolStorage';

export interface StorageSpec {
  type: StorageType;
  /** Raw little-endian bytes, as torch writes data/<key>. */
  bytes: Uint8Array;
  numel: number;
}

export interface TensorSpec {
  name: string;
  storage: string;
  offset?: number;
  size: number[];
  /** Row-major when absent. */
  stride?: number[];
  /** Wrap in torch._utils._rebuild_parameter, as for nn.Parameter. */
  parameter?: boolean;
}

export function contiguousStride(size: readonly number[]): number[] {
  const stride = new Array<number>(size.length);
  let s = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= size[d];
  }
  return stride;
}

/**
 * The data.pkl torch.save writes for a state dict: `_rebuild_tensor_v2` per tensor, persistent
 * storage ids, memoized strings and globals (so memo indices grow as in the real files).
 * `ordered` makes the top an OrderedDict with a `_metadata` attribute set by BUILD, as
 * `model.state_dict()` has.
 */
export function torchPickle(tensors: readonly TensorSpec[], storages: Record<string, StorageSpec>, ordered = false): Uint8Array {
  const p = new PickleWriter().proto(2);
  let memo = 0;
  const memoOf = new Map<string, number>();
  const putNew = () => p.put(memo++);
  const globalOnce = (module: string, name: string) => {
    const key = `${module}.${name}`;
    const at = memoOf.get(key);
    if (at !== undefined) p.get(at);
    else {
      p.global(module, name);
      memoOf.set(key, memo);
      putNew();
    }
  };
  if (ordered) {
    globalOnce('collections', 'OrderedDict');
    p.emptyTuple().reduce();
  } else p.emptyDict();
  putNew();
  p.mark();
  for (const t of tensors) {
    const storage = storages[t.storage];
    p.str(t.name);
    putNew();
    if (t.parameter) globalOnce('torch._utils', '_rebuild_parameter');
    globalOnce('torch._utils', '_rebuild_tensor_v2');
    p.mark();
    p.mark().str('storage');
    globalOnce('torch', storage.type);
    p.str(t.storage).str('cpu').int(storage.numel).tuple(5);
    p.binpersid();
    p.int(t.offset ?? 0);
    p.intTuple(t.size);
    p.intTuple(t.stride ?? contiguousStride(t.size));
    p.bool(false);
    globalOnce('collections', 'OrderedDict');
    p.emptyTuple().reduce();
    p.tuple(6); // MARK ... TUPLE
    p.reduce();
    if (t.parameter) {
      // _rebuild_parameter(tensor, requires_grad=True, OrderedDict())
      p.bool(true);
      globalOnce('collections', 'OrderedDict');
      p.emptyTuple().reduce().tuple(3).reduce();
    }
    putNew();
  }
  p.setitems();
  if (ordered) {
    // state_dict()._metadata = OrderedDict({'': {'version': 1}})
    p.emptyDict().str('_metadata');
    globalOnce('collections', 'OrderedDict');
    p.emptyTuple().reduce().str('').emptyDict().str('version').int(1).setitem().setitem().setitem().build();
  }
  return p.stop().bytes();
}

/** A zip as torch.save writes it: stored (uncompressed) entries under one top folder. */
export async function zipFiles(files: Record<string, Uint8Array>): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { level: 0 });
  for (const [name, bytes] of Object.entries(files)) await writer.add(name, new Uint8ArrayReader(bytes), { useWebWorkers: false });
  return writer.close();
}

let crcTable: Uint32Array | null = null;

export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A stored (uncompressed) zip written by hand, byte for byte per the zip spec: an independent
 * producer for the reader (zip.js only reads here) and fast enough for thousands of fuzz runs.
 */
export function storedZip(files: Record<string, Uint8Array>): Uint8Array {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [filename, data] of Object.entries(files)) {
    const name = encoder.encode(filename);
    const crc = crc32(data);
    const local = new Uint8Array(30 + name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(6, 0x0800, true); // UTF-8 names
    l.setUint16(12, 0x21, true); // 1980-01-01
    l.setUint32(14, crc, true);
    l.setUint32(18, data.length, true);
    l.setUint32(22, data.length, true);
    l.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const c = new DataView(central.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0800, true);
    c.setUint16(14, 0x21, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, data.length, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const centralSize = centrals.reduce((n, x) => n + x.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, centrals.length, true);
  e.setUint16(10, centrals.length, true);
  e.setUint32(12, centralSize, true);
  e.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + 22);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export async function unzipFiles(bytes: Uint8Array): Promise<Record<string, Uint8Array>> {
  const reader = new ZipReader(new Uint8ArrayReader(bytes), { useWebWorkers: false });
  const out: Record<string, Uint8Array> = {};
  for (const entry of await reader.getEntries()) {
    if (!entry.directory) out[entry.filename] = await entry.getData(new Uint8ArrayWriter());
  }
  await reader.close();
  return out;
}

export interface TorchCheckpointSpec {
  tensors: TensorSpec[];
  storages: Record<string, StorageSpec>;
  folder?: string;
  ordered?: boolean;
  /** Replaces the generated data.pkl. */
  pickle?: Uint8Array;
}

export async function torchCheckpoint(spec: TorchCheckpointSpec): Promise<Uint8Array> {
  const folder = spec.folder ?? 'archive';
  const files: Record<string, Uint8Array> = {
    [`${folder}/data.pkl`]: spec.pickle ?? torchPickle(spec.tensors, spec.storages, spec.ordered),
  };
  for (const [key, s] of Object.entries(spec.storages)) files[`${folder}/data/${key}`] = s.bytes;
  files[`${folder}/version`] = new TextEncoder().encode('3\n');
  return storedZip(files);
}

export function f32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function u16Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}

export function i64Bytes(values: readonly bigint[]): Uint8Array {
  return new Uint8Array(new BigInt64Array(values).buffer);
}

/** float32 bit patterns, for bit-exact comparisons (NaN and -0 included). */
export function bits(data: Float32Array): Uint32Array {
  return new Uint32Array(data.slice().buffer);
}

/** A safetensors file from a header given as an object or raw JSON text, and a data area. */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/**
 * Index of the first element whose float32 bits differ, -1 when identical (and equal length).
 * Deep equality on million-element arrays takes vitest seconds; this takes milliseconds.
 */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = bits(a);
  const y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
