/** LoRA adapters in PEFT's format: the round trip, PEFT's merge rule, and every bad adapter refused. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2, loadLoraAdapter, parseGPT2Config, randomGPT2Weights, saveLoraAdapter, saveSafetensors } from '../../../src/model';
import { parseSafetensors, writeSafetensors, type RawTensor } from '../../../src/model/weights';
import { addLoRA } from '../../../src/train/lora';
import { useCpu } from './helpers';

beforeAll(useCpu);

/** A small GPT-2; `layers` and `width` make the "other base" of the refusals (gpt2 vs distilgpt2). */
function base(layers = 2, width = 16, seed = 11): GPT2 {
  const config = parseGPT2Config({ model_type: 'gpt2', vocab_size: 96, n_positions: 32, n_embd: width, n_layer: layers, n_head: 2 });
  return GPT2.fromWeights(config, randomGPT2Weights(config, seed));
}

/** A base with a trained-looking adapter: A from addLoRA, B made non-zero so the adapter matters. */
function bot(rank = 4, alpha = 8, layers = 2, width = 16): GPT2 {
  const model = base(layers, width);
  addLoRA(model, { rank, alpha, seed: 5 });
  let i = 0;
  for (const { B } of model.adapters.values()) tf.tidy(() => B.assign(tf.randomNormal(B.shape, 0, 0.05, 'float32', 100 + i++)));
  return model;
}

async function logitsOf(model: GPT2): Promise<Float32Array> {
  return tf.tidy(() => model.logits(tf.tensor2d([[1, 5, 9, 14, 2, 7], [3, 3, 8, 60, 1, 0]], [2, 6], 'int32'))).data() as Promise<Float32Array>;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytesOf = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

describe('saveLoraAdapter / loadLoraAdapter (PEFT format)', () => {
  it('writes exactly the two PEFT files: config fields and tensor names, shapes, float32', async () => {
    const model = bot();
    const files = await saveLoraAdapter(model, { baseModel: 'distilgpt2' });
    expect(Object.keys(files).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(text(files['adapter_config.json']));
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, fan_in_fan_out: true, base_model_name_or_path: 'distilgpt2', bias: 'none', use_rslora: false, use_dora: false });
    expect(config.target_modules).toEqual(['c_attn', 'c_proj', 'c_fc']);
    const st = parseSafetensors(files['adapter_model.safetensors']);
    expect(st.entries).toHaveLength(16);
    for (const e of st.entries) expect(e.dtype).toBe('F32');
    const byName = Object.fromEntries(st.entries.map((e) => [e.name, e.shape]));
    expect(byName['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight']).toEqual([4, 16]);
    expect(byName['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight']).toEqual([48, 4]);
    expect(byName['base_model.model.transformer.h.1.mlp.c_fc.lora_A.weight']).toEqual([4, 16]);
    expect(byName['base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight']).toEqual([4, 64]);
    expect(byName['base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight']).toEqual([16, 4]);
    model.dispose();
  });

  it('round trip: save, then load on a fresh base gives the same logits (and replaces adapters it had)', async () => {
    const model = bot();
    const expected = await logitsOf(model);
    const files = await saveLoraAdapter(model, { baseModel: 'distilgpt2' });
    const fresh = base();
    const plain = await logitsOf(fresh);
    addLoRA(fresh, { rank: 2, alpha: 2, seed: 9 }); // an adapter to be replaced
    const tensorsBefore = tf.memory().numTensors;
    await loadLoraAdapter(fresh, files);
    expect(tf.memory().numTensors).toBe(tensorsBefore + 16 - 16);
    const got = await logitsOf(fresh);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    expect(Math.max(...got.map((v, i) => Math.abs(v - plain[i])))).toBeGreaterThan(1e-3);
    // Saving what was loaded gives the same bytes back.
    expect(await saveLoraAdapter(fresh, { baseModel: 'distilgpt2' })).toEqual(files);
    model.dispose();
    fresh.dispose();
  });

  it("PEFT's merge rule on the exported tensors equals saveSafetensors of the merged model", async () => {
    const model = bot(4, 12);
    const files = await saveLoraAdapter(model, { baseModel: 'distilgpt2' });
    const config = JSON.parse(text(files['adapter_config.json']));
    const lora = parseSafetensors(files['adapter_model.safetensors']).tensors as Record<string, RawTensor>;
    const merged = parseSafetensors(await saveSafetensors(model)).tensors as Record<string, RawTensor>;
    const original = randomGPT2Weights(model.config, 11);
    let checked = 0;
    for (const [name, W] of Object.entries(original)) {
      const A = lora[`base_model.model.transformer.${name.replace(/\.weight$/, '')}.lora_A.weight`];
      const B = lora[`base_model.model.transformer.${name.replace(/\.weight$/, '')}.lora_B.weight`];
      if (!A) {
        expect(merged[name].data).toEqual(W.data);
        continue;
      }
      // W' = W + (lora_B · lora_A)ᵀ · lora_alpha / r, in float64.
      const [r, nIn] = A.shape;
      const nOut = B.shape[0];
      const scale = config.lora_alpha / config.r;
      let worst = 0;
      for (let i = 0; i < nIn; i++) {
        for (let o = 0; o < nOut; o++) {
          let d = 0;
          for (let k = 0; k < r; k++) d += B.data[o * r + k] * A.data[k * nIn + i];
          worst = Math.max(worst, Math.abs(W.data[i * nOut + o] + d * scale - merged[name].data[i * nOut + o]));
        }
      }
      expect(worst, name).toBeLessThan(1e-6);
      checked++;
    }
    expect(checked).toBe(8);
    model.dispose();
  });

  describe('bad adapters are refused and change nothing', () => {
    let good: Record<string, Uint8Array>;
    let target: GPT2;
    let before: Float32Array;
    beforeAll(async () => {
      const model = bot();
      good = await saveLoraAdapter(model, { baseModel: 'distilgpt2' });
      model.dispose();
      target = base();
      await loadLoraAdapter(target, good);
      before = await logitsOf(target);
    });

    const config = () => JSON.parse(text(good['adapter_config.json']));
    const tensors = () => parseSafetensors(good['adapter_model.safetensors']).tensors as Record<string, RawTensor>;
    const write = (t: Record<string, RawTensor>) => writeSafetensors(Object.entries(t).map(([name, v]) => ({ name, shape: v.shape, data: v.data })));

    /** An adapter trained on another base: `layers` and `width` of that base. */
    const fromOtherBase = async (layers: number, width: number, name: string) => {
      const other = bot(4, 8, layers, width);
      const files = await saveLoraAdapter(other, { baseModel: name });
      other.dispose();
      return files;
    };
    const cases: Array<[string, () => Record<string, Uint8Array> | Promise<Record<string, Uint8Array>>, RegExp]> = [
      ['a truncated adapter_model.safetensors', () => ({ ...good, 'adapter_model.safetensors': good['adapter_model.safetensors'].subarray(0, good['adapter_model.safetensors'].length - 100) }), /adapter_model\.safetensors cannot be read: .*truncated/],
      ['peft_type other than LORA', () => ({ ...good, 'adapter_config.json': bytesOf({ ...config(), peft_type: 'IA3' }) }), /peft_type "IA3".*only LoRA/],
      ['a rank in the config the tensors do not have', () => ({ ...good, 'adapter_config.json': bytesOf({ ...config(), r: 8 }) }), /says rank r = 8, but the matrices .* have rank 4/],
      ['shapes of another base (wider)', () => fromOtherBase(2, 24, 'wider'), /made for another base model: .*lora_A \[4, 16\].*\[4, 24\]/],
      // a "gpt2" adapter (more layers) on a "distilgpt2" base
      ['shapes of another base (more layers)', () => fromOtherBase(3, 16, 'gpt2'), /made for another base model: it adapts layer 2, and this model has 2 layers/],
      ['a missing adapter_config.json', () => ({ 'adapter_model.safetensors': good['adapter_model.safetensors'] }), /adapter_config\.json is missing/],
      ['a missing adapter_model.safetensors', () => ({ 'adapter_config.json': good['adapter_config.json'] }), /adapter_model\.safetensors is missing/],
      ['unknown tensor names', () => ({ ...good, 'adapter_model.safetensors': write({ ...tensors(), 'base_model.model.transformer.wte.lora_embedding_A': { shape: [4, 96], data: new Float32Array(384) } }) }), /does not know: "base_model\.model\.transformer\.wte\.lora_embedding_A"/],
      ['a lora_A without its lora_B', () => {
        const t = tensors();
        delete t['base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight'];
        return { ...good, 'adapter_model.safetensors': write(t) };
      }, /lora_A of h\.1\.mlp\.c_fc but not its lora_B/],
      ['a module not in target_modules', () => ({ ...good, 'adapter_config.json': bytesOf({ ...config(), target_modules: ['c_attn'] }) }), /target_modules \(c_attn\) does not name that module/],
      ['a DoRA adapter', () => ({ ...good, 'adapter_config.json': bytesOf({ ...config(), use_dora: true }) }), /DoRA/],
    ];
    it.each(cases)('%s', async (_what, make, message) => {
      const files = await make();
      const tensorsBefore = tf.memory().numTensors;
      const adaptersBefore = [...target.adapters.values()];
      await expect(loadLoraAdapter(target, files)).rejects.toThrow(message);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      expect([...target.adapters.values()]).toEqual(adaptersBefore);
      expect(await logitsOf(target)).toEqual(before);
    });
  });

  it('a model without adapters has nothing to save', async () => {
    const model = base();
    await expect(saveLoraAdapter(model, { baseModel: 'x' })).rejects.toThrow(/no LoRA adapters/);
    model.dispose();
  });
});
