import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter } from '@zip.js/zip.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyFile } from '../../helpers/fixtures';
import { isFloatTensor, readTorchStateDict, type BufferTensor, type CheckpointTensor, type RawTensor } from '../../../src/model/weights';
import { f32Bytes, i64Bytes, PickleWriter, torchCheckpoint, torchPickle, u16Bytes, unzipFiles, zipFiles, type StorageSpec } from './builders';

const fixture = tinyFile('pytorch_model.bin');

describe('readTorchStateDict on the tiny GPT-2 fixture', () => {
  let dict: Record<string, CheckpointTensor>;
  let pickle: Uint8Array;
  beforeAll(async () => {
    dict = await readTorchStateDict(fixture);
    pickle = (await unzipFiles(fixture))['pytorch_model/data.pkl'];
  });

  it('finds data.pkl under the file-named top folder', () => {
    expect(pickle).toBeDefined();
    expect(Object.keys(dict)).toHaveLength(2 + 2 * 14 + 2 + 1);
    expect(Object.keys(dict).every((k) => k.startsWith('transformer.') || k === 'lm_head.weight')).toBe(true);
  });

  it('gives lm_head.weight the very array of transformer.wte.weight', () => {
    const head = dict['lm_head.weight'] as RawTensor;
    const wte = dict['transformer.wte.weight'] as RawTensor;
    expect(head.shape).toEqual([50257, 32]);
    expect(head.data).toBe(wte.data);
  });

  it('keeps the uint8 causal mask as bytes and reads the scalar masked_bias', () => {
    const mask = dict['transformer.h.1.attn.bias'] as BufferTensor;
    expect(mask.dtype).toBe('U8');
    expect(mask.shape).toEqual([1, 1, 128, 128]);
    expect([mask.bytes[0], mask.bytes[1], mask.bytes[128 * 128 - 1]]).toEqual([1, 0, 1]);
    const masked = dict['transformer.h.0.attn.masked_bias'] as RawTensor;
    expect(masked.shape).toEqual([]);
    expect(Array.from(masked.data)).toEqual([-10000]);
  });

  it('resolves memo entries stored with LONG_BINPUT (index > 255)', () => {
    // LONG_BINPUT 256..259 are the last four puts: the final masked_bias and the lm_head key
    const longPuts = [256, 257, 258, 259].map((i) => {
      const needle = [0x72, i & 0xff, i >> 8, 0, 0];
      return pickle.findIndex((_, at) => needle.every((b, j) => pickle[at + j] === b));
    });
    expect(longPuts.every((at) => at > 0)).toBe(true);
    expect(Array.from((dict['transformer.h.1.attn.masked_bias'] as RawTensor).data)).toEqual([-10000]);
    expect(isFloatTensor(dict['lm_head.weight'])).toBe(true);
  });
});

const storages: Record<string, StorageSpec> = {
  // 0..11 as float32
  s: { type: 'FloatStorage', bytes: f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), numel: 12 },
  h: { type: 'HalfStorage', bytes: u16Bytes([0x3c00, 0xc000, 0x3555, 0x0001]), numel: 4 },
  b: { type: 'BFloat16Storage', bytes: u16Bytes([0x3f80, 0xc040, 0x4049]), numel: 3 },
  l: { type: 'LongStorage', bytes: i64Bytes([10n, -20n, 30n, 2n ** 40n]), numel: 4 },
  d: { type: 'DoubleStorage', bytes: new Uint8Array(new Float64Array([0.1, 2]).buffer), numel: 2 },
  m: { type: 'BoolStorage', bytes: new Uint8Array([1, 0, 0, 1]), numel: 4 },
};

describe('readTorchStateDict on hand-built checkpoints', () => {
  it('honours strides, storage offsets, shared storages and every storage type', async () => {
    const bin = await torchCheckpoint({
      ordered: true,
      storages,
      tensors: [
        { name: 'matrix', storage: 's', size: [3, 4] },
        { name: 'transposed', storage: 's', size: [4, 3], stride: [1, 4], parameter: true },
        { name: 'corner', storage: 's', offset: 6, size: [2, 2], stride: [4, 1] },
        { name: 'row', storage: 's', offset: 4, size: [4] },
        { name: 'scalar', storage: 's', offset: 5, size: [] },
        { name: 'deep', storage: 's', offset: 1, size: [2, 1, 2, 1], stride: [6, 99, 2, 7] },
        { name: 'empty', storage: 's', offset: 12, size: [0, 3] },
        { name: 'half', storage: 'h', size: [2, 2] },
        { name: 'bf16', storage: 'b', offset: 1, size: [2] },
        { name: 'double', storage: 'd', size: [2] },
        { name: 'longs', storage: 'l', offset: 1, size: [2], stride: [2] },
        { name: 'mask', storage: 'm', size: [2, 2], stride: [1, 2] },
      ],
    });
    const t = await readTorchStateDict(bin);
    const floats = (name: string) => {
      const x = t[name] as RawTensor;
      return { shape: x.shape, values: Array.from(x.data) };
    };
    expect(floats('matrix')).toEqual({ shape: [3, 4], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
    expect(floats('transposed')).toEqual({ shape: [4, 3], values: [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11] });
    expect(floats('corner')).toEqual({ shape: [2, 2], values: [6, 7, 10, 11] });
    expect(floats('row')).toEqual({ shape: [4], values: [4, 5, 6, 7] });
    expect(floats('scalar')).toEqual({ shape: [], values: [5] });
    expect(floats('deep')).toEqual({ shape: [2, 1, 2, 1], values: [1, 3, 7, 9] });
    expect(floats('empty')).toEqual({ shape: [0, 3], values: [] });
    expect(floats('half')).toEqual({ shape: [2, 2], values: [1, -2, 0.333251953125, 2 ** -24] });
    expect(floats('bf16')).toEqual({ shape: [2], values: [-3, 3.140625] });
    expect(floats('double')).toEqual({ shape: [2], values: [Math.fround(0.1), 2] });
    // views of a storage are copies, and the full contiguous one shares the decoded storage
    expect((t.row as RawTensor).data).not.toBe((t.matrix as RawTensor).data);
    const longs = t.longs as BufferTensor;
    expect(longs.dtype).toBe('I64');
    expect(Array.from(new BigInt64Array(longs.bytes.slice().buffer))).toEqual([-20n, 2n ** 40n]);
    expect(t.mask).toEqual({ dtype: 'BOOL', shape: [2, 2], bytes: new Uint8Array([1, 0, 0, 1]) });
  });

  it('reads a plain-dict pickle under any single top folder', async () => {
    const bin = await torchCheckpoint({ folder: 'my_model', storages: { s: storages.s }, tensors: [{ name: 'w', storage: 's', size: [12] }] });
    expect(Array.from(((await readTorchStateDict(bin)).w as RawTensor).data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('reads deflate-compressed entries too (through zip.js)', async () => {
    const writer = new ZipWriter(new Uint8ArrayWriter(), { level: 9 });
    const pkl = torchPickle([{ name: 'w', storage: 's', size: [3], offset: 2 }], { s: storages.s });
    await writer.add('archive/data.pkl', new Uint8ArrayReader(pkl), { useWebWorkers: false });
    await writer.add('archive/data/s', new Uint8ArrayReader(storages.s.bytes), { useWebWorkers: false });
    const bin = await writer.close();
    const entries = await new ZipReader(new Uint8ArrayReader(bin)).getEntries();
    expect(entries.map((e) => e.compressionMethod)).toEqual([8, 8]);
    expect(Array.from(((await readTorchStateDict(bin)).w as RawTensor).data)).toEqual([2, 3, 4]);
  });

  it('reads data.pkl when the top folder has a byteorder file saying little', async () => {
    const pkl = torchPickle([{ name: 'w', storage: 's', size: [2], offset: 10 }], { s: storages.s });
    const bin = await zipFiles({ 'archive/data.pkl': pkl, 'archive/byteorder': new TextEncoder().encode('little'), 'archive/data/s': storages.s.bytes });
    expect(Array.from(((await readTorchStateDict(bin)).w as RawTensor).data)).toEqual([10, 11]);
  });
});

describe('readTorchStateDict errors', () => {
  const one = { s: storages.s };

  it('not a zip, and the legacy format', async () => {
    await expect(readTorchStateDict(tinyFile('model.safetensors'))).rejects.toThrow(/not a zip archive: pytorch_model.bin should be a torch.save zip/);
    const legacy = new PickleWriter().proto(2).long1(0x1950a86a20f9469cfc6cn).stop().bytes(); // how the old format begins
    await expect(readTorchStateDict(legacy)).rejects.toThrow(/legacy \(pre-1.6\) torch.save format/);
    await expect(readTorchStateDict(torchPickle([], {}))).rejects.toThrow(/not a zip archive/);
    await expect(readTorchStateDict(fixture.slice(0, 5000))).rejects.toThrow(/damaged zip archive: End of central directory not found/);
  });

  it('unknown pickle global', async () => {
    const pkl = new PickleWriter().proto(2).global('posix', 'system').str('echo').tuple(1).reduce().stop().bytes();
    const bin = await torchCheckpoint({ storages: one, tensors: [], pickle: pkl });
    await expect(readTorchStateDict(bin)).rejects.toThrow(/pickle: global 'posix.system' is not allowed/);
  });

  it('missing or wrongly sized storages, tensors past their storage', async () => {
    const pkl = torchPickle([{ name: 'w', storage: 's', size: [2] }], one);
    await expect(readTorchStateDict(await zipFiles({ 'archive/data.pkl': pkl }))).rejects.toThrow(/storage 's' is missing from the zip \(archive\/data\/s\)/);
    const short = await torchCheckpoint({ storages: { s: { ...storages.s, numel: 13 } }, tensors: [{ name: 'w', storage: 's', size: [2] }] });
    await expect(readTorchStateDict(short)).rejects.toThrow(/storage 's' should be 13 F32 elements \(52 bytes\) but the zip entry has 48/);
    const past = await torchCheckpoint({ storages: one, tensors: [{ name: 'w', storage: 's', size: [3, 4], stride: [4, 2] }] });
    await expect(readTorchStateDict(past)).rejects.toThrow(/size \[3, 4\], stride \[4, 2\] at offset 0 reaches past its storage 's' of 12 elements/);
    const expanded = await torchCheckpoint({ storages: one, tensors: [{ name: 'w', storage: 's', size: [1000000, 12], stride: [0, 1] }] });
    await expect(readTorchStateDict(expanded)).rejects.toThrow(/has more elements than its storage 's' \(12\)/);
  });

  it('zips that are not plain state dicts', async () => {
    await expect(readTorchStateDict(await zipFiles({ 'a/b.txt': new Uint8Array(1) }))).rejects.toThrow(/no <folder>\/data.pkl/);
    const list = new PickleWriter().proto(2).emptyList().stop().bytes();
    await expect(readTorchStateDict(await torchCheckpoint({ storages: one, tensors: [], pickle: list }))).rejects.toThrow(/does not hold a dict/);
    const nested = new PickleWriter().proto(2).emptyDict().str('model').emptyDict().setitem().stop().bytes();
    await expect(readTorchStateDict(await torchCheckpoint({ storages: one, tensors: [], pickle: nested }))).rejects.toThrow(
      /state dict entry 'model' is not a tensor/,
    );
    const big = await zipFiles({ 'archive/data.pkl': torchPickle([], {}), 'archive/byteorder': new TextEncoder().encode('big') });
    await expect(readTorchStateDict(big)).rejects.toThrow(/byteorder 'big' is not supported/);
  });

  it('a corrupted storage byte fails the CRC check', async () => {
    const bin = await torchCheckpoint({ storages: one, tensors: [{ name: 'w', storage: 's', size: [12] }] });
    const at = bin.findIndex((_, i) => bin[i] === 0 && bin[i + 1] === 0 && bin[i + 2] === 0x80 && bin[i + 3] === 0x3f); // 1.0f
    const damaged = bin.slice();
    damaged[at + 3] = 0x40;
    await expect(readTorchStateDict(damaged)).rejects.toThrow(/^torch: zip entry 'archive\/data\/s' is corrupted \(CRC-32 mismatch\)$/);
    const unchecked = (await readTorchStateDict(damaged, { verifyCrc: false })).w as RawTensor;
    expect(unchecked.data[1]).toBe(4); // 1.0f is 0x3f800000; with its top byte made 0x40 it reads 4.0
  });

  it('a zip entry reaching past the end of the file', async () => {
    // the directory claims 1200 floats for data/s; only 12 are there
    const bin = await torchCheckpoint({
      storages: { s: { ...storages.s, numel: 1200 } },
      tensors: [{ name: 'w', storage: 's', size: [12] }],
    });
    const view = new DataView(bin.buffer);
    const name = new TextEncoder().encode('archive/data/s');
    let patched = 0;
    for (let at = 0; at + 46 < bin.length; at++) {
      if (view.getUint32(at, true) !== 0x02014b50) continue;
      if (!name.every((b, i) => bin[at + 46 + i] === b) || view.getUint16(at + 28, true) !== name.length) continue;
      view.setUint32(at + 20, 4800, true);
      view.setUint32(at + 24, 4800, true);
      patched++;
    }
    expect(patched).toBe(1);
    await expect(readTorchStateDict(bin)).rejects.toThrow(/^torch: zip entry 'archive\/data\/s' reaches past the end of the file \(truncated\?\)$/);
  });
});
