import { describe, expect, it } from 'vitest';
import { tinyFile } from '../../helpers/fixtures';
import {
  bfloat16ToFloat,
  halfToFloat,
  isFloatTensor,
  parseSafetensors,
  parseSafetensorsBlob,
  readSafetensorsHeader,
  writeSafetensors,
  type BufferTensor,
  type RawTensor,
} from '../../../src/model/weights';
import { bits, firstBitDifference, rawSafetensors, u16Bytes } from './builders';

const fixture = tinyFile('model.safetensors');

describe('parseSafetensors on the tiny GPT-2 fixture', () => {
  const file = parseSafetensors(fixture);

  it('reads every tensor with its dtype and shape', () => {
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.entries).toHaveLength(30); // 2 embeddings + 2 x (12 + attn.bias) + ln_f x 2
    const wte = file.tensors['wte.weight'] as RawTensor;
    expect(wte.shape).toEqual([50257, 32]);
    expect(wte.data).toBeInstanceOf(Float32Array);
    expect(wte.data.length).toBe(50257 * 32);
    const mask = file.tensors['h.0.attn.bias'] as BufferTensor;
    expect(mask).toMatchObject({ dtype: 'U8', shape: [1, 1, 128, 128] });
    expect(mask.bytes.length).toBe(128 * 128);
    // a causal mask: ones on and below the diagonal
    expect([mask.bytes[0], mask.bytes[1], mask.bytes[128], mask.bytes[129], mask.bytes[130]]).toEqual([1, 0, 1, 1, 0]);
  });

  it('decodes the little-endian floats the header points at', () => {
    const entry = file.entries.find((e) => e.name === 'ln_f.bias')!;
    const start = 8 + new DataView(fixture.buffer).getUint32(0, true) + entry.begin;
    const view = new DataView(fixture.buffer, start, 128);
    const data = (file.tensors['ln_f.bias'] as RawTensor).data;
    for (let i = 0; i < 32; i++) expect(data[i]).toBe(view.getFloat32(4 * i, true));
  });

  it('reads the same tensors from a Blob, one slice per tensor', async () => {
    const slices: Array<[number, number]> = [];
    const blob = new Blob([new Uint8Array(fixture)]);
    const spy = {
      size: blob.size,
      slice: (begin: number, end: number) => {
        slices.push([begin, end]);
        return blob.slice(begin, end);
      },
    } as unknown as Blob;
    const fromBlob = await parseSafetensorsBlob(spy);
    expect(Object.keys(fromBlob.tensors).sort()).toEqual(Object.keys(file.tensors).sort());
    for (const [name, t] of Object.entries(file.tensors)) {
      const u = fromBlob.tensors[name];
      expect(u.shape).toEqual(t.shape);
      if (isFloatTensor(t)) expect(firstBitDifference((u as RawTensor).data, t.data)).toBe(-1);
      else expect((u as BufferTensor).bytes).toEqual(t.bytes);
    }
    // header length, header, then each tensor: never the whole file at once
    expect(slices).toHaveLength(2 + file.entries.length);
    expect(Math.max(...slices.map(([b, e]) => e - b))).toBe(50257 * 32 * 4);
  });
});

describe('writeSafetensors', () => {
  const tensors = [
    { name: 'b', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) },
    { name: 'a.weight', shape: [1], data: new Float32Array([Math.PI]) },
    { name: '10', shape: [], data: new Float32Array([7]) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  ];

  it('round-trips exactly', () => {
    const file = parseSafetensors(writeSafetensors(tensors, { note: 'x' }));
    expect(file.metadata).toEqual({ format: 'pt', note: 'x' });
    for (const t of tensors) {
      const back = file.tensors[t.name] as RawTensor;
      expect(back.shape).toEqual(t.shape);
      expect(bits(back.data)).toEqual(bits(t.data));
    }
  });

  it('writes the reference layout: __metadata__ first, keys sorted, header padded with spaces to 8 bytes', () => {
    const bytes = writeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const json = text.trimEnd();
    expect(text.slice(json.length)).toMatch(/^ {0,7}$/);
    expect(json.startsWith('{"__metadata__":{"format":"pt"},"10":')).toBe(true);
    expect(Object.keys(JSON.parse(json))).toEqual(['10', '__metadata__', 'a.weight', 'b', 'empty']); // JSON.parse hoists "10"
    const header = JSON.parse(json);
    expect(header['10'].data_offsets).toEqual([0, 4]);
    expect(header['a.weight'].data_offsets).toEqual([4, 8]);
    expect(header.b).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [8, 32] });
    expect(bytes.length).toBe(8 + n + 32);
  });

  it('rewrites the fixture into a file that reads back bit-identical', () => {
    const source = parseSafetensors(fixture);
    const floats = Object.entries(source.tensors)
      .filter(([, t]) => isFloatTensor(t))
      .map(([name, t]) => ({ name, ...(t as RawTensor) }));
    const again = parseSafetensors(writeSafetensors(floats));
    for (const t of floats) expect(firstBitDifference((again.tensors[t.name] as RawTensor).data, t.data)).toBe(-1);
  });

  it('refuses inconsistent input', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/'x' has 3 values but shape \[2, 2\]/);
    expect(() =>
      writeSafetensors([
        { name: 'x', shape: [1], data: new Float32Array(1) },
        { name: 'x', shape: [1], data: new Float32Array(1) },
      ]),
    ).toThrow(/duplicate tensor name 'x'/);
  });
});

describe('float decoding', () => {
  it('decodes F16 against hand-computed values', () => {
    const halves = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x8000, 0x7c00, 0xfc00];
    const expected = [1, -2, 0.333251953125, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, -0, Infinity, -Infinity];
    const file = parseSafetensors(rawSafetensors({ h: { dtype: 'F16', shape: [10], data_offsets: [0, 20] } }, u16Bytes(halves)));
    const data = Array.from((file.tensors.h as RawTensor).data);
    expect(data).toEqual(expected);
    expect(Object.is(data[7], -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('decodes BF16 against hand-computed values', () => {
    const halves = [0x3f80, 0xc040, 0x4049, 0x3e80, 0x0080, 0x7f80, 0xff80, 0x8000];
    const expected = [1, -3, 3.140625, 0.25, 2 ** -126, Infinity, -Infinity, -0];
    const file = parseSafetensors(rawSafetensors({ b: { dtype: 'BF16', shape: [2, 4], data_offsets: [0, 16] } }, u16Bytes(halves)));
    expect((file.tensors.b as RawTensor).shape).toEqual([2, 4]);
    expect(Array.from((file.tensors.b as RawTensor).data)).toEqual(expected);
    expect(bfloat16ToFloat(0x7fc0)).toBeNaN();
  });

  it('decodes F64 to the nearest float32', () => {
    const data = new Uint8Array(new Float64Array([1.5, -0.1]).buffer);
    const file = parseSafetensors(rawSafetensors({ d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, data));
    expect(Array.from((file.tensors.d as RawTensor).data)).toEqual([1.5, Math.fround(-0.1)]);
  });

  it('decodes tensors at offsets that are not a multiple of 4', () => {
    // a U8 tensor of 3 bytes first pushes the F32 tensor to an odd absolute offset
    const data = new Uint8Array([9, 8, 7, ...new Uint8Array(new Float32Array([0.5, -4]).buffer)]);
    const file = parseSafetensors(
      rawSafetensors({ u: { dtype: 'U8', shape: [3], data_offsets: [0, 3] }, f: { dtype: 'F32', shape: [2], data_offsets: [3, 11] } }, data),
    );
    expect(Array.from((file.tensors.f as RawTensor).data)).toEqual([0.5, -4]);
    expect(file.tensors.u).toEqual({ dtype: 'U8', shape: [3], bytes: new Uint8Array([9, 8, 7]) });
  });

  it('keeps I64 and BOOL tensors as raw bytes', () => {
    const data = new Uint8Array([...new Uint8Array(new BigInt64Array([-5n]).buffer), 1, 0]);
    const file = parseSafetensors(
      rawSafetensors({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] }, b: { dtype: 'BOOL', shape: [2], data_offsets: [8, 10] } }, data),
    );
    const i = file.tensors.i as BufferTensor;
    expect(i.dtype).toBe('I64');
    expect(new BigInt64Array(i.bytes.slice().buffer)[0]).toBe(-5n);
    expect((file.tensors.b as BufferTensor).bytes).toEqual(new Uint8Array([1, 0]));
  });
});

describe('safetensors errors', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('truncated files', () => {
    expect(() => parseSafetensors(fixture.slice(0, 5))).toThrow(/truncated: 5 bytes/);
    expect(() => parseSafetensors(fixture.slice(0, 1000))).toThrow(/header length 2536 exceeds the file size \(1000 bytes\)/);
    expect(() => parseSafetensors(fixture.slice(0, fixture.length - 1))).toThrow(
      /tensor 'h.1.attn.bias' data_offsets \[6567552, 6583936\] are out of range: the data area has 6583935 bytes \(file truncated\?\)/,
    );
  });

  it('header length too large', () => {
    expect(() => parseSafetensors(rawSafetensors({}, new Uint8Array(16), 2n ** 40n))).toThrow(/header length 1099511627776 is absurd/);
    expect(() => parseSafetensors(rawSafetensors({}, new Uint8Array(16), 2n ** 64n - 1n))).toThrow(/is absurd/);
    expect(() => parseSafetensors(rawSafetensors({}, new Uint8Array(16), 500n))).toThrow(/header length 500 exceeds the file size/);
  });

  it('offsets out of range', () => {
    expect(() => parseSafetensors(rawSafetensors({ x: f32(0, 16) }, new Uint8Array(8)))).toThrow(
      /tensor 'x' data_offsets \[0, 16\] are out of range: the data area has 8 bytes/,
    );
    expect(() => parseSafetensors(rawSafetensors({ x: f32(8, 4, [1]) }, new Uint8Array(8)))).toThrow(/\[8, 4\] with begin after end/);
    expect(() => parseSafetensors(rawSafetensors({ x: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }))).toThrow(/invalid data_offsets \[-4,0\]/);
  });

  it('overlapping ranges', () => {
    expect(() => parseSafetensors(rawSafetensors({ a: f32(0, 16), b: f32(8, 24) }, new Uint8Array(24)))).toThrow(
      /tensors 'a' \[0, 16\] and 'b' \[8, 24\] have overlapping byte ranges/,
    );
  });

  it('byte length not matching the shape', () => {
    expect(() => parseSafetensors(rawSafetensors({ x: f32(0, 12, [2, 2]) }, new Uint8Array(12)))).toThrow(
      /tensor 'x' \(F32 \[2, 2\]\) needs 16 bytes but data_offsets \[0, 12\] span 12/,
    );
  });

  it('unknown dtype', () => {
    expect(() => parseSafetensors(rawSafetensors({ q: { dtype: 'Q4_K', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)))).toThrow(
      /tensor 'q' has unknown dtype "Q4_K"/,
    );
  });

  it('bad JSON or metadata', () => {
    expect(() => parseSafetensors(rawSafetensors('{"x": '))).toThrow(/header is not valid UTF-8 JSON/);
    expect(() => parseSafetensors(rawSafetensors('[1,2]'))).toThrow(/header JSON is not an object/);
    expect(() => parseSafetensors(rawSafetensors({ __metadata__: { a: 1 } }))).toThrow(/__metadata__ value for 'a' is not a string/);
    expect(() => parseSafetensors(rawSafetensors({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)))).toThrow(
      /invalid shape \[1.5\]/,
    );
  });

  it('readSafetensorsHeader asks for the whole header', () => {
    expect(() => readSafetensorsHeader(fixture.slice(0, 100))).toThrow(/the 2536-byte header needs 2544 bytes, only 100 given/);
    const header = readSafetensorsHeader(fixture.slice(0, 2544));
    expect(header.dataStart).toBe(2544);
    expect(header.entries[0]).toEqual({ name: 'wte.weight', dtype: 'F32', shape: [50257, 32], begin: 0, end: 6432896 });
  });
});
