/**
 * Property tests: random and mutated safetensors files, pickles and torch zips must each end in a
 * result or a plain Error with a message, never a hang, a RangeError from a giant allocation, a
 * TypeError from a missed check, or a thrown non-Error. Fixed seeds keep runs reproducible; run
 * counts keep the whole file well under 30 s on a 2-core machine.
 */
import { fuzzParams } from '../../helpers/fuzz';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_GLOBALS,
  DTYPE_SIZE,
  isFloatTensor,
  parseSafetensors,
  parseSafetensorsBlob,
  readTorchStateDict,
  shapeSize,
  unpickle,
  writeSafetensors,
  type CheckpointTensor,
} from '../../../src/model/weights';
import {
  f32Bytes,
  i64Bytes,
  PickleWriter,
  rawSafetensors,
  storedZip,
  torchCheckpoint,
  torchPickle,
  u16Bytes,
  unzipFiles,
  type StorageSpec,
  type StorageType,
  type TensorSpec,
} from './builders';

const SEED = 20250101;

/** Our readers only ever throw plain Errors with a message; anything else is a bug. */
function assertCleanFailure(e: unknown): void {
  if (!(e instanceof Error) || Object.getPrototypeOf(e) !== Error.prototype || e.message.length === 0) {
    const kind = e instanceof Error ? e.constructor.name : typeof e;
    throw new Error(`reader threw ${kind}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A successful result must be self-consistent: every tensor's data matches its shape. */
function assertConsistent(tensors: Record<string, CheckpointTensor>): void {
  for (const [name, t] of Object.entries(tensors)) {
    const n = shapeSize(t.shape);
    const ok = isFloatTensor(t) ? t.data.length === n : t.bytes.length === n * DTYPE_SIZE[t.dtype];
    if (!ok) throw new Error(`tensor '${name}' data does not match its shape`);
  }
}

function safetensorsOutcome(bytes: Uint8Array): void {
  try {
    assertConsistent(parseSafetensors(bytes).tensors);
  } catch (e) {
    assertCleanFailure(e);
  }
}

async function torchOutcome(bytes: Uint8Array): Promise<void> {
  try {
    assertConsistent(await readTorchStateDict(bytes));
  } catch (e) {
    assertCleanFailure(e);
  }
}

const dtypes = Object.keys(DTYPE_SIZE);
const weirdNumbers = [-1, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 1e300, Number.MAX_SAFE_INTEGER];

/** byte overwrites, a truncation, or both */
const mutation = fc.record({
  writes: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
  cut: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
});

function mutate(bytes: Uint8Array, m: { writes: [number, number][]; cut: number | null }, region = bytes.length): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes);
  for (const [at, value] of m.writes) out[at % Math.max(1, Math.min(region, out.length))] = value;
  return m.cut === null ? out : out.slice(0, m.cut % (out.length + 1));
}

describe('fuzz: safetensors', () => {
  const valid = writeSafetensors([
    { name: 'a', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { name: 'b', shape: [], data: new Float32Array([7]) },
    { name: 'c.weight', shape: [4], data: new Float32Array([0.5, -1, 2, 8]) },
  ]);

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => safetensorsOutcome(bytes)),
      fuzzParams(2000, SEED),
    );
  });

  it('any header length field, including u64 extremes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(400), (length, extra) => {
        const bytes = valid.slice(0, 8 + Math.min(extra, valid.length));
        new DataView(bytes.buffer).setBigUint64(0, length, true);
        safetensorsOutcome(bytes);
      }),
      fuzzParams(1000, SEED),
    );
  });

  it('mutated and truncated valid files', () => {
    const headerEnd = 8 + Number(new DataView(valid.buffer).getBigUint64(0, true));
    fc.assert(
      fc.property(mutation, fc.boolean(), (m, headerOnly) => safetensorsOutcome(mutate(valid, m, headerOnly ? headerEnd : valid.length))),
      fuzzParams(2000, SEED),
    );
  });

  it('structured headers: odd dtypes, shapes, offsets, overlaps, metadata', () => {
    const dim = fc.oneof({ weight: 4, arbitrary: fc.nat(6) }, { weight: 1, arbitrary: fc.constantFrom(...weirdNumbers) });
    const offset = fc.oneof({ weight: 4, arbitrary: fc.nat(200) }, { weight: 1, arbitrary: fc.constantFrom(...weirdNumbers) });
    const entry = fc.record({
      dtype: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...dtypes) }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) }),
      shape: fc.oneof({ weight: 5, arbitrary: fc.array(dim, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.jsonValue() }),
      data_offsets: fc.oneof({ weight: 5, arbitrary: fc.tuple(offset, offset) }, { weight: 1, arbitrary: fc.jsonValue() }),
    });
    const name = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__metadata__', '__proto__', 'constructor', '0'));
    const header = fc.dictionary(name, fc.oneof({ weight: 6, arbitrary: entry }, { weight: 1, arbitrary: fc.jsonValue() }), { maxKeys: 5 });
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), (h, data) => safetensorsOutcome(rawSafetensors(h, data))),
      fuzzParams(2000, SEED),
    );
  });

  it('consistent headers, then one field nudged', () => {
    const spec = fc.array(fc.record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.nat(4), { maxLength: 3 }) }), { minLength: 1, maxLength: 5 });
    const nudge = fc.option(fc.record({ which: fc.nat(), field: fc.constantFrom(0, 1), delta: fc.integer({ min: -9, max: 9 }) }));
    fc.assert(
      fc.property(spec, nudge, fc.integer({ min: -4, max: 4 }), (tensors, n, dataDelta) => {
        const header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> = {};
        let at = 0;
        tensors.forEach((t, i) => {
          const size = shapeSize(t.shape) * DTYPE_SIZE[t.dtype as keyof typeof DTYPE_SIZE];
          header[`t${i}`] = { ...t, data_offsets: [at, at + size] };
          at += size;
        });
        if (n) header[`t${n.which % tensors.length}`].data_offsets[n.field] += n.delta;
        safetensorsOutcome(rawSafetensors(header, new Uint8Array(Math.max(0, at + dataDelta))));
      }),
      fuzzParams(1500, SEED),
    );
  });

  it('random JSON headers', () => {
    fc.assert(
      fc.property(fc.json(), fc.uint8Array({ maxLength: 64 }), (json, data) => safetensorsOutcome(rawSafetensors(json, data))),
      fuzzParams(1000, SEED),
    );
  });

  it('values nested up to 100000 levels deep in any header field', () => {
    const where = fc.constantFrom('dtype', 'shape', 'data_offsets', 'offset', 'metadata', 'entry', 'header');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), where, (depth, field) => {
        const deep = '['.repeat(depth) + ']'.repeat(depth);
        const entry = {
          dtype: field === 'dtype' ? deep : '"F32"',
          shape: field === 'shape' ? deep : '[1]',
          data_offsets: field === 'data_offsets' ? deep : field === 'offset' ? `[0,${deep}]` : '[0,4]',
        };
        const x = field === 'entry' ? deep : `{"dtype":${entry.dtype},"shape":${entry.shape},"data_offsets":${entry.data_offsets}}`;
        const header = field === 'header' ? deep : `{"__metadata__":${field === 'metadata' ? `{"k":${deep}}` : '{}'},"x":${x}}`;
        safetensorsOutcome(rawSafetensors(header, new Uint8Array(4)));
      }),
      fuzzParams(25, SEED),
    );
  });

  it('the Blob reader fails the same way on mutated files', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const bytes = mutate(valid, m);
        let sync: string | null = null;
        try {
          parseSafetensors(bytes);
        } catch (e) {
          sync = (e as Error).message;
        }
        let streamed: string | null = null;
        try {
          await parseSafetensorsBlob(new Blob([bytes]));
        } catch (e) {
          assertCleanFailure(e);
          streamed = (e as Error).message;
        }
        expect(streamed).toBe(sync);
      }),
      fuzzParams(300, SEED),
    );
  });
});

/** GLOBAL / STACK_GLOBAL / REDUCE / BUILD / BINPERSID material for random pickle programs. */
function pickleFragment(): fc.Arbitrary<number[]> {
  const single = [0x7d, 0x5d, 0x29, 0x28, 0x88, 0x89, 0x4e, 0x74, 0x85, 0x86, 0x87, 0x73, 0x75, 0x61, 0x65, 0x94, 0x52, 0x62, 0x51, 0x81, 0x93, 0x30, 0x31, 0x32];
  const bytesOf = (build: (p: PickleWriter) => PickleWriter) => Array.from(build(new PickleWriter()).bytes());
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...single).map((b) => [b]) },
    { weight: 2, arbitrary: fc.nat(300).map((i) => bytesOf((p) => p.put(i))) },
    { weight: 2, arbitrary: fc.nat(300).map((i) => bytesOf((p) => p.get(i))) },
    { weight: 2, arbitrary: fc.string({ maxLength: 8 }).map((s) => bytesOf((p) => p.str(s))) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => bytesOf((p) => p.shortStr(s))) },
    { weight: 2, arbitrary: fc.integer().map((n) => bytesOf((p) => p.int(n))) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => bytesOf((p) => p.long1(n))) },
    { weight: 1, arbitrary: fc.double().map((x) => bytesOf((p) => p.float(x))) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch', 'FloatStorage'], ['os', 'system'], ['builtins', 'eval'])
        .map(([m, n]) => bytesOf((p) => p.global(m, n))),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }).map((b) => Array.from(b)) },
  );
}

describe('fuzz: pickle', () => {
  const options = { globals: BASE_GLOBALS, persistentLoad: (pid: unknown) => ({ pid }) };
  const unpickleOutcome = (bytes: Uint8Array) => {
    try {
      unpickle(bytes, options);
    } catch (e) {
      assertCleanFailure(e);
    }
  };
  let fixturePickle: Uint8Array;
  beforeAll(async () => {
    const { tinyFile } = await import('../../helpers/fixtures');
    fixturePickle = (await unzipFiles(tinyFile('pytorch_model.bin')))['pytorch_model/data.pkl'];
  });

  it('random bytes, with and without a protocol header', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (proto, body) => {
        unpickleOutcome(proto ? new Uint8Array([0x80, 2, ...body]) : body);
      }),
      fuzzParams(3000, SEED),
    );
  });

  it('random opcode programs', () => {
    fc.assert(
      fc.property(fc.array(pickleFragment(), { maxLength: 40 }), fc.boolean(), (fragments, stop) => {
        unpickleOutcome(new Uint8Array([0x80, 2, ...fragments.flat(), ...(stop ? [0x2e] : [])]));
      }),
      fuzzParams(3000, SEED),
    );
  });

  it("mutations of the fixture's data.pkl", () => {
    // torch names resolve to a function returning its arguments, so the structure is walked as real
    const globals = new Map([...BASE_GLOBALS, ['torch._utils._rebuild_tensor_v2', (a: readonly unknown[]) => a], ['torch.FloatStorage', (a: readonly unknown[]) => a], ['torch.ByteStorage', (a: readonly unknown[]) => a]]);
    expect(unpickle(fixturePickle, { globals, persistentLoad: (pid) => pid })).toBeInstanceOf(Map);
    fc.assert(
      fc.property(mutation, (m) => {
        try {
          unpickle(mutate(fixturePickle, m), { globals, persistentLoad: (pid) => pid });
        } catch (e) {
          assertCleanFailure(e);
        }
      }),
      fuzzParams(2000, SEED),
    );
  });
});

describe('fuzz: pytorch_model.bin', () => {
  const storages: Record<string, StorageSpec> = {
    w: { type: 'FloatStorage', bytes: f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), numel: 12 },
    h: { type: 'HalfStorage', bytes: u16Bytes([0x3c00, 0xc000, 0x3555, 0x0001]), numel: 4 },
    l: { type: 'LongStorage', bytes: i64Bytes([1n, 2n, 3n]), numel: 3 },
    m: { type: 'ByteStorage', bytes: new Uint8Array([1, 0, 1, 1]), numel: 4 },
  };
  const tensors: TensorSpec[] = [
    { name: 'wte.weight', storage: 'w', size: [3, 4] },
    { name: 'lm_head.weight', storage: 'w', size: [3, 4] },
    { name: 't', storage: 'w', size: [4, 3], stride: [1, 4], parameter: true },
    { name: 'scalar', storage: 'w', offset: 11, size: [] },
    { name: 'half', storage: 'h', size: [2, 2] },
    { name: 'long', storage: 'l', offset: 1, size: [2] },
    { name: 'mask', storage: 'm', size: [1, 1, 2, 2] },
  ];
  const pickle = torchPickle(tensors, storages, true);
  let bin: Uint8Array;
  beforeAll(async () => {
    bin = await torchCheckpoint({ tensors, storages, ordered: true });
    expect(Object.keys(await readTorchStateDict(bin))).toHaveLength(7);
  });

  it('mutated and truncated zips', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, (m) => torchOutcome(mutate(bin, m))),
      fuzzParams(150, SEED),
    );
  });

  it('valid zips around mutated pickles (the tensor-rebuilding checks)', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const [key, s] of Object.entries(storages)) files[`archive/data/${key}`] = s.bytes;
    await fc.assert(
      fc.asyncProperty(mutation, (m) => torchOutcome(storedZip({ ...files, 'archive/data.pkl': mutate(pickle, m) }))),
      fuzzParams(400, SEED),
    );
  });

  it('random views of real storages: exactly the strided elements, or a clear Error', async () => {
    const values: Record<string, number[]> = { w: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], h: [1, -2, 0.333251953125, 2 ** -24] };
    const view = fc.record({
      storage: fc.constantFrom('w', 'h', 'l', 'm', 'missing'),
      offset: fc.nat(14),
      dims: fc.array(fc.record({ size: fc.nat(4), stride: fc.nat(7) }), { maxLength: 3 }),
      claimedNumel: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(20) }),
      claimedType: fc.oneof(
        { weight: 6, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom<StorageType>('FloatStorage', 'HalfStorage', 'LongStorage', 'BoolStorage') },
      ),
    });
    await fc.assert(
      fc.asyncProperty(view, async (v) => {
        const real = storages[v.storage] ?? storages.w;
        const claimed: StorageSpec = { type: v.claimedType ?? real.type, bytes: real.bytes, numel: v.claimedNumel ?? real.numel };
        const size = v.dims.map((d) => d.size);
        const stride = v.dims.map((d) => d.stride);
        const pkl = torchPickle([{ name: 'x', storage: v.storage, offset: v.offset, size, stride }], { [v.storage]: claimed });
        const files: Record<string, Uint8Array> = { 'archive/data.pkl': pkl };
        if (v.storage !== 'missing') files[`archive/data/${v.storage}`] = real.bytes;
        let result: CheckpointTensor | null = null;
        try {
          result = (await readTorchStateDict(storedZip(files))).x;
        } catch (e) {
          assertCleanFailure(e);
        }
        // the reference: element i of the view is storage[offset + sum(index_d * stride_d)]
        const numel = shapeSize(size);
        const elementBytes = DTYPE_SIZE[({ FloatStorage: 'F32', HalfStorage: 'F16', LongStorage: 'I64', ByteStorage: 'U8', BoolStorage: 'BOOL' } as const)[claimed.type as 'FloatStorage']];
        const sizeMatches = v.storage !== 'missing' && claimed.numel * elementBytes === real.bytes.length;
        const last = v.offset + v.dims.reduce((n, d) => n + (d.size - 1) * d.stride, 0);
        const valid = sizeMatches && (numel === 0 || (last < claimed.numel && numel <= claimed.numel));
        expect(result !== null).toBe(valid);
        if (!result || !(claimed.type === 'FloatStorage' || claimed.type === 'HalfStorage') || claimed.type !== real.type) return;
        const expected: number[] = [];
        for (let i = 0; i < numel; i++) {
          let rest = i;
          let at = v.offset;
          for (let d = size.length - 1; d >= 0; d--) {
            at += (rest % size[d]) * stride[d];
            rest = Math.floor(rest / size[d]);
          }
          expected.push(values[v.storage][at]);
        }
        expect(result.shape).toEqual(size);
        expect(Array.from((result as { data: Float32Array }).data)).toEqual(expected);
      }),
      fuzzParams(500, SEED),
    );
  });

  it('pickled values nested up to 50000 levels deep where tensors, ids and keys belong', async () => {
    const where = fc.constantFrom('pid', 'key', 'value', 'size', 'stride', 'offset', 'storage-type');
    const deepList = (p: PickleWriter, depth: number) => {
      for (let i = 0; i < depth; i++) p.emptyList();
      for (let i = 1; i < depth; i++) p.append();
      return p;
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50_000 }), where, async (depth, field) => {
        const p = new PickleWriter().proto(2).emptyDict();
        if (field === 'key') deepList(p, depth).int(1).setitem();
        else if (field === 'value') p.str('w').rawBytes(deepList(new PickleWriter(), depth).bytes()).setitem();
        else {
          p.str('w').global('torch._utils', '_rebuild_tensor_v2').mark();
          if (field === 'pid') deepList(p, depth).binpersid();
          else {
            p.mark().str('storage');
            if (field === 'storage-type') deepList(p, depth);
            else p.global('torch', 'FloatStorage');
            p.str('w').str('cpu').int(12).tuple(5).binpersid();
          }
          if (field === 'offset') deepList(p, depth);
          else p.int(0);
          if (field === 'size') deepList(p, depth);
          else p.intTuple([12]);
          if (field === 'stride') deepList(p, depth);
          else p.intTuple([1]);
          p.bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple(6).reduce().setitem();
        }
        await torchOutcome(storedZip({ 'archive/data.pkl': p.stop().bytes(), 'archive/data/w': storages.w.bytes }));
      }),
      fuzzParams(25, SEED),
    );
  });

  it('random bytes behind a zip signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), (body) => torchOutcome(new Uint8Array([0x50, 0x4b, 3, 4, ...body]))),
      fuzzParams(300, SEED),
    );
  });
});
