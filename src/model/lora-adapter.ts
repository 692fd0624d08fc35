/**
 * LoRA adapters in PEFT's format (https://huggingface.co/docs/peft), out and back in: the two
 * files `adapter_config.json` and `adapter_model.safetensors` that
 * `PeftModel.from_pretrained(base, folder)` loads for a GPT-2.
 *
 * Layout. Our adapter on a Conv1D weight W [in, out] is A [in, r], B [r, out], scale = alpha / r,
 * applied as y = x @ W + scale * (x @ A) @ B. PEFT keeps its matrices as nn.Linear weights:
 *
 *   base_model.model.transformer.h.{i}.{module}.lora_A.weight   [r, in]   = Aᵀ
 *   base_model.model.transformer.h.{i}.{module}.lora_B.weight   [out, r]  = Bᵀ
 *
 * and, with fan_in_fan_out (GPT-2's Conv1D), merges W' = W + (lora_B · lora_A)ᵀ · lora_alpha / r,
 * which is W + scale · A · B: the same model.
 *
 * Loading checks everything before it touches the model: a bad adapter throws an Error saying what
 * is wrong, and the model keeps the adapters (and so the logits) it had.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2, LoraAdapter } from './gpt2';
import { parseSafetensors, writeSafetensors, type NamedFloatTensor } from './weights';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** The PEFT modules of a GPT-2 block an adapter can sit on, by their full name in the block. */
const MODULES = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
type Module = (typeof MODULES)[number];

const TENSOR_NAME = /^base_model\.model\.transformer\.h\.(\d+)\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.lora_(A|B)(?:\.default)?\.weight$/;

/** What adapter_config.json says that matters here (the rest is PEFT's bookkeeping). */
export interface PeftLoraConfig {
  baseModel: string;
  rank: number;
  alpha: number;
  /** scale = alpha / rank, or alpha / √rank with use_rslora */
  scale: number;
  targetModules: string[];
}

const tensorName = (layer: number, module: Module, which: 'A' | 'B'): string =>
  `base_model.model.transformer.h.${layer}.${module}.lora_${which}.weight`;

/** PEFT's target_modules for the adapted modules: short names where they are unambiguous. */
function targetModules(modules: ReadonlySet<Module>): string[] {
  const out: string[] = [];
  if (modules.has('attn.c_attn')) out.push('c_attn');
  if (modules.has('attn.c_proj') && modules.has('mlp.c_proj')) out.push('c_proj');
  else if (modules.has('attn.c_proj')) out.push('attn.c_proj');
  else if (modules.has('mlp.c_proj')) out.push('mlp.c_proj');
  if (modules.has('mlp.c_fc')) out.push('c_fc');
  return out;
}

/** PEFT's matching rule: a module is targeted when its full name is, or ends with '.' + a target. */
function isTargeted(module: Module, layer: number, targets: readonly string[]): boolean {
  const full = `transformer.h.${layer}.${module}`;
  return targets.some((t) => full === t || full.endsWith(`.${t}`));
}

/**
 * The model's adapters as PEFT writes them: `adapter_config.json` and `adapter_model.safetensors`
 * (float32). `baseModel` is the repo the bot started from (`base_model_name_or_path`).
 */
export async function saveLoraAdapter(model: GPT2, { baseModel }: { baseModel: string }): Promise<Record<string, Uint8Array>> {
  if (model.isDisposed) throw new Error('saveLoraAdapter: the model has been disposed');
  if (model.adapters.size === 0) throw new Error('This model has no LoRA adapters to save (it was fully fine-tuned, or its adapters are merged).');
  const tensors: NamedFloatTensor[] = [];
  const modules = new Set<Module>();
  let rank = 0;
  let scale = 0;
  for (const [weight, adapter] of model.adapters) {
    const m = /^h\.(\d+)\.(.+)\.weight$/.exec(weight);
    if (!m || !(MODULES as readonly string[]).includes(m[2])) throw new Error(`saveLoraAdapter: an adapter on "${weight}" has no PEFT name`);
    const [layer, module] = [Number(m[1]), m[2] as Module];
    const r = adapter.A.shape[1] as number;
    if (rank === 0) [rank, scale] = [r, adapter.scale];
    if (r !== rank || adapter.scale !== scale) throw new Error('saveLoraAdapter: the adapters differ in rank or scale; PEFT needs one of each');
    modules.add(module);
    const [a, b] = tf.tidy(() => [tf.transpose(adapter.A), tf.transpose(adapter.B)]);
    try {
      tensors.push({ name: tensorName(layer, module, 'A'), shape: a.shape, data: (await a.data()) as Float32Array });
      tensors.push({ name: tensorName(layer, module, 'B'), shape: b.shape, data: (await b.data()) as Float32Array });
    } finally {
      tf.dispose([a, b]);
    }
  }
  // alpha = scale · r; rounded so that 16 stays 16 and not 15.999999.
  const alpha = Math.round(scale * rank * 1e6) / 1e6;
  // Every field PEFT (0.10 and later) writes for a LoRA config, keys sorted as it sorts them.
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: true,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: alpha,
    lora_dropout: 0.0,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: rank,
    rank_pattern: {},
    revision: null,
    target_modules: targetModules(modules),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
  return {
    [ADAPTER_CONFIG]: new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
    [ADAPTER_WEIGHTS]: writeSafetensors(tensors),
  };
}

/** Reads and checks `adapter_config.json` (a LoRA adapter for a causal LM that this page can apply). */
export function parseAdapterConfig(bytes: Uint8Array | undefined): PeftLoraConfig {
  if (!bytes) throw new Error(`${ADAPTER_CONFIG} is missing: a PEFT adapter is that file and ${ADAPTER_WEIGHTS}.`);
  let c: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    c = parsed as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${ADAPTER_CONFIG} is not valid JSON (${(err as Error).message}).`);
  }
  if (c.peft_type !== 'LORA') throw new Error(`${ADAPTER_CONFIG} says peft_type ${JSON.stringify(c.peft_type)}: only LoRA adapters ("LORA") can be applied.`);
  if (c.task_type != null && c.task_type !== 'CAUSAL_LM') throw new Error(`${ADAPTER_CONFIG} says task_type ${JSON.stringify(c.task_type)}: a tweet bot is a CAUSAL_LM adapter.`);
  const rank = c.r;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) throw new Error(`${ADAPTER_CONFIG} has no valid rank r (${JSON.stringify(rank)}).`);
  const alpha = c.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`${ADAPTER_CONFIG} has an invalid lora_alpha (${JSON.stringify(alpha)}).`);
  if (c.use_dora === true) throw new Error(`${ADAPTER_CONFIG} is a DoRA adapter (use_dora), which this page cannot apply.`);
  if (c.bias != null && c.bias !== 'none') throw new Error(`${ADAPTER_CONFIG} trains biases too (bias "${String(c.bias)}"), which this page cannot apply.`);
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = c[key];
    if (v != null && (typeof v !== 'object' || Object.keys(v).length > 0)) throw new Error(`${ADAPTER_CONFIG} gives per-module ranks or alphas (${key}), which this page cannot apply.`);
  }
  if (c.modules_to_save != null && !(Array.isArray(c.modules_to_save) && c.modules_to_save.length === 0)) {
    throw new Error(`${ADAPTER_CONFIG} also saves whole modules (modules_to_save), which this page cannot apply.`);
  }
  const targets = typeof c.target_modules === 'string' ? [c.target_modules] : c.target_modules;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string')) {
    throw new Error(`${ADAPTER_CONFIG} has no target_modules list (a regular expression there is not supported).`);
  }
  const baseModel = typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : '';
  return { baseModel, rank, alpha, scale: c.use_rslora === true ? alpha / Math.sqrt(rank) : alpha / rank, targetModules: targets as string[] };
}

/**
 * Attaches a PEFT LoRA adapter to a loaded base, replacing any adapters it had. Everything is
 * checked first (config, names, ranks, shapes against this base); on any error the model is left
 * as it was.
 */
export async function loadLoraAdapter(model: GPT2, files: Record<string, Uint8Array>): Promise<void> {
  if (model.isDisposed) throw new Error('loadLoraAdapter: the model has been disposed');
  const config = parseAdapterConfig(files[ADAPTER_CONFIG]);
  const weights = files[ADAPTER_WEIGHTS];
  if (!weights) throw new Error(`${ADAPTER_WEIGHTS} is missing: it holds the adapter's matrices.`);
  let parsed;
  try {
    parsed = parseSafetensors(weights);
  } catch (err) {
    throw new Error(`${ADAPTER_WEIGHTS} cannot be read: ${(err as Error).message}`);
  }
  const pairs = new Map<string, { layer: number; module: Module; A?: { shape: number[]; data: Float32Array }; B?: { shape: number[]; data: Float32Array } }>();
  for (const [name, tensor] of Object.entries(parsed.tensors)) {
    const m = TENSOR_NAME.exec(name);
    if (!m) throw new Error(`${ADAPTER_WEIGHTS} holds a tensor this page does not know: "${name}" (a GPT-2 LoRA adapter holds base_model.model.transformer.h.N.<module>.lora_A/lora_B.weight).`);
    if (!('data' in tensor)) throw new Error(`${ADAPTER_WEIGHTS}: tensor "${name}" is not a float tensor.`);
    const [layer, module, which] = [Number(m[1]), m[2] as Module, m[3] as 'A' | 'B'];
    if (layer >= model.config.nLayer) {
      throw new Error(`This adapter was made for another base model: it adapts layer ${layer}, and this model has ${model.config.nLayer} layers (the adapter names ${config.baseModel || 'no base'}).`);
    }
    if (!isTargeted(module, layer, config.targetModules)) throw new Error(`${ADAPTER_WEIGHTS} holds "${name}", but target_modules (${config.targetModules.join(', ')}) does not name that module.`);
    const key = `h.${layer}.${module}.weight`;
    const pair = pairs.get(key) ?? { layer, module };
    pair[which] = { shape: tensor.shape, data: tensor.data };
    pairs.set(key, pair);
  }
  if (pairs.size === 0) throw new Error(`${ADAPTER_WEIGHTS} holds no LoRA matrices.`);
  for (const [key, { A, B }] of pairs) {
    if (!A || !B) throw new Error(`${ADAPTER_WEIGHTS} has lora_${A ? 'A' : 'B'} of ${key.replace(/\.weight$/, '')} but not its lora_${A ? 'B' : 'A'}.`);
    const W = model.params[key];
    if (!W) throw new Error(`This model has no weight ${key} for the adapter.`);
    const [nIn, nOut] = W.shape;
    if (A.shape.length !== 2 || B.shape.length !== 2) throw new Error(`${ADAPTER_WEIGHTS}: the matrices of ${key} are not 2-D.`);
    if (A.shape[0] !== config.rank || B.shape[1] !== config.rank) {
      throw new Error(`${ADAPTER_CONFIG} says rank r = ${config.rank}, but the matrices of ${key} have rank ${A.shape[0]}.`);
    }
    if (A.shape[1] !== nIn || B.shape[0] !== nOut) {
      throw new Error(
        `This adapter was made for another base model: ${key} needs lora_A [${config.rank}, ${nIn}] and lora_B [${nOut}, ${config.rank}] here, ` +
          `the adapter has [${A.shape.join(', ')}] and [${B.shape.join(', ')}] (it names ${config.baseModel || 'no base'}).`,
      );
    }
  }
  // Everything checked: build the new adapters, then swap them in.
  const fresh = new Map<string, LoraAdapter>();
  try {
    for (const [key, { A, B }] of pairs) {
      const [nIn, nOut] = model.params[key].shape;
      fresh.set(key, {
        A: tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(A!.data, [config.rank, nIn])), true)),
        B: tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(B!.data, [nOut, config.rank])), true)),
        scale: config.scale,
      });
    }
  } catch (err) {
    for (const { A, B } of fresh.values()) tf.dispose([A, B]);
    throw err;
  }
  for (const { A, B } of model.adapters.values()) tf.dispose([A, B]);
  model.adapters.clear();
  for (const [key, adapter] of fresh) model.adapters.set(key, adapter);
}
