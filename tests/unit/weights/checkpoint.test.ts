import { beforeAll, describe, expect, it } from 'vitest';
import { tinyFile, tinyJson } from '../../helpers/fixtures';
import {
  gpt2TensorShapes,
  isFloatTensor,
  parseSafetensors,
  readCheckpointTensors,
  readGPT2Checkpoint,
  shardFileNames,
  weightFileNames,
  writeSafetensors,
  type GPT2WeightShapes,
  type RawTensor,
} from '../../../src/model/weights';
import { firstBitDifference, torchCheckpoint, type StorageSpec, type TensorSpec } from './builders';

interface HFConfig {
  n_layer: number;
  n_embd: number;
  vocab_size: number;
  n_positions: number;
  n_inner: number | null;
}
const hf = tinyJson<HFConfig>('config.json');
const cfg: GPT2WeightShapes = { nLayer: hf.n_layer, nEmbd: hf.n_embd, vocabSize: hf.vocab_size, nPositions: hf.n_positions, nInner: hf.n_inner };
const safetensors = tinyFile('model.safetensors');
const bin = tinyFile('pytorch_model.bin');

function expectSameWeights(a: Record<string, RawTensor>, b: Record<string, RawTensor>) {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(a)) {
    expect(b[name].shape, name).toEqual(a[name].shape);
    expect(firstBitDifference(a[name].data, b[name].data), name).toBe(-1);
  }
}

/** Two shards: the embeddings in the first, everything else in the second. */
function shardNames(names: string[]): [string[], string[]] {
  const first = names.filter((n) => /w[tp]e\.weight$/.test(n));
  return [first, names.filter((n) => !first.includes(n))];
}

function indexJson(shards: Record<string, string[]>): Uint8Array {
  const weightMap: Record<string, string> = {};
  for (const [file, names] of Object.entries(shards)) for (const n of names) weightMap[n] = file;
  return new TextEncoder().encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
}

describe('readGPT2Checkpoint', () => {
  let fromSafetensors: Record<string, RawTensor>;
  beforeAll(async () => {
    fromSafetensors = await readGPT2Checkpoint({ 'model.safetensors': safetensors }, cfg);
  });

  it('reads model.safetensors into exactly the canonical GPT-2 tensors', () => {
    const expected = gpt2TensorShapes(cfg);
    expect(Object.keys(fromSafetensors)).toEqual([...expected.keys()]);
    for (const [name, shape] of expected) expect(fromSafetensors[name].shape).toEqual(shape);
  });

  it('reads pytorch_model.bin into the same names, shapes and bit-identical values', async () => {
    expectSameWeights(fromSafetensors, await readGPT2Checkpoint({ 'pytorch_model.bin': bin }, cfg));
  });

  it('prefers model.safetensors when both are present', async () => {
    const files = { 'pytorch_model.bin': new Uint8Array([1, 2, 3]), 'model.safetensors': safetensors, 'config.json': new Uint8Array(0) };
    expectSameWeights(fromSafetensors, await readGPT2Checkpoint(files, cfg));
  });

  it('reads a sharded safetensors checkpoint identically', async () => {
    const file = parseSafetensors(safetensors);
    const floats = Object.entries(file.tensors).filter(([, t]) => isFloatTensor(t));
    const [a, b] = shardNames(floats.map(([n]) => n));
    const write = (names: string[]) => writeSafetensors(floats.filter(([n]) => names.includes(n)).map(([name, t]) => ({ name, ...(t as RawTensor) })));
    const files = {
      'model.safetensors.index.json': indexJson({ 'model-00001-of-00002.safetensors': a, 'model-00002-of-00002.safetensors': b }),
      'model-00001-of-00002.safetensors': write(a),
      'model-00002-of-00002.safetensors': write(b),
    };
    expect(shardFileNames(files['model.safetensors.index.json'])).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expectSameWeights(fromSafetensors, await readGPT2Checkpoint(files, cfg));
  });

  it('reads a sharded pytorch_model.bin checkpoint identically', async () => {
    const names = Object.keys(fromSafetensors);
    const shard = async (part: string[]) => {
      const storages: Record<string, StorageSpec> = {};
      const tensors: TensorSpec[] = part.map((name, i) => {
        const t = fromSafetensors[name];
        storages[String(i)] = { type: 'FloatStorage', bytes: new Uint8Array(t.data.slice().buffer), numel: t.data.length };
        return { name: `transformer.${name}`, storage: String(i), size: t.shape };
      });
      return torchCheckpoint({ storages, tensors, folder: 'archive' });
    };
    const [a, b] = shardNames(names);
    const pa = a.map((n) => `transformer.${n}`);
    const pb = b.map((n) => `transformer.${n}`);
    const files = {
      'pytorch_model.bin.index.json': indexJson({ 'pytorch_model-00001-of-00002.bin': pa, 'pytorch_model-00002-of-00002.bin': pb }),
      'pytorch_model-00001-of-00002.bin': await shard(a),
      'pytorch_model-00002-of-00002.bin': await shard(b),
    };
    expectSameWeights(fromSafetensors, await readGPT2Checkpoint(files, cfg));
  });
});

describe('checkpoint file choice and errors', () => {
  it('weightFileNames picks the file transformers would', () => {
    expect(weightFileNames(['config.json', 'pytorch_model.bin', 'model.safetensors'])).toEqual({ format: 'safetensors', file: 'model.safetensors' });
    expect(weightFileNames(['model.safetensors.index.json', 'pytorch_model.bin'])).toEqual({
      format: 'safetensors-sharded',
      file: 'model.safetensors.index.json',
    });
    expect(weightFileNames(['pytorch_model.bin', 'tf_model.h5'])).toEqual({ format: 'torch', file: 'pytorch_model.bin' });
    expect(weightFileNames(['pytorch_model.bin.index.json'])).toEqual({ format: 'torch-sharded', file: 'pytorch_model.bin.index.json' });
    expect(weightFileNames(['tf_model.h5', 'config.json'])).toBeNull();
  });

  it('no weights at all', async () => {
    await expect(readGPT2Checkpoint({ 'config.json': new Uint8Array(2) }, cfg)).rejects.toThrow(
      /^No weights found: expected model.safetensors or pytorch_model.bin$/,
    );
  });

  it('names the file a reading error comes from', async () => {
    await expect(readCheckpointTensors({ 'model.safetensors': safetensors.slice(0, 100) })).rejects.toThrow(
      /^Could not read model.safetensors: safetensors: header length 2536 exceeds the file size \(100 bytes\)/,
    );
    await expect(readCheckpointTensors({ 'pytorch_model.bin': safetensors })).rejects.toThrow(/^Could not read pytorch_model.bin: torch: not a zip archive/);
  });

  it('shards missing, or not holding what the index says', async () => {
    const one = writeSafetensors([{ name: 'x', shape: [1], data: new Float32Array(1) }]);
    const index = indexJson({ 'a.safetensors': ['x'], 'b.safetensors': ['y'] });
    await expect(readCheckpointTensors({ 'model.safetensors.index.json': index, 'a.safetensors': one })).rejects.toThrow(
      /model.safetensors.index.json names shard files that were not provided: b.safetensors/,
    );
    await expect(readCheckpointTensors({ 'model.safetensors.index.json': index, 'a.safetensors': one, 'b.safetensors': one })).rejects.toThrow(
      /tensor 'x' is in both a.safetensors and b.safetensors/,
    );
    const empty = writeSafetensors([]);
    await expect(readCheckpointTensors({ 'model.safetensors.index.json': index, 'a.safetensors': one, 'b.safetensors': empty })).rejects.toThrow(
      /model.safetensors.index.json puts 'y' in b.safetensors, but it is not there/,
    );
    await expect(readCheckpointTensors({ 'model.safetensors.index.json': new TextEncoder().encode('{"weight_map": 3}') })).rejects.toThrow(
      /Could not read model.safetensors.index.json: shard index has no weight_map object/,
    );
  });
});
