/**
 * Maps a checkpoint's tensors onto GPT-2's canonical names and shapes: those of
 * openai-community/gpt2's model.safetensors (Conv1D weights stored [in, out]). Every problem is
 * collected and reported in one Error; nothing is ever filled in with zeros.
 */
import { formatShape, isFloatTensor, setOwn, type CheckpointTensor, type RawTensor } from './types';

/** The config fields that fix GPT-2's tensor shapes (n_layer, n_embd, vocab_size, n_positions, n_inner). */
export interface GPT2WeightShapes {
  nLayer: number;
  nEmbd: number;
  vocabSize: number;
  nPositions: number;
  /** Width of the MLP; null or absent means 4 * nEmbd. */
  nInner?: number | null;
}

/** Canonical GPT-2 tensor names and shapes, in the order the reference checkpoint lists them. */
export function gpt2TensorShapes(cfg: GPT2WeightShapes): Map<string, number[]> {
  const { nLayer, nEmbd: c, vocabSize, nPositions } = cfg;
  const inner = cfg.nInner ?? 4 * c;
  for (const [field, value] of Object.entries({ nLayer, nEmbd: c, vocabSize, nPositions, nInner: inner })) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`GPT-2 config: ${field} must be a positive integer, got ${value}`);
  }
  const shapes = new Map<string, number[]>([
    ['wte.weight', [vocabSize, c]],
    ['wpe.weight', [nPositions, c]],
  ]);
  for (let i = 0; i < nLayer; i++) {
    const h = `h.${i}`;
    shapes.set(`${h}.ln_1.weight`, [c]);
    shapes.set(`${h}.ln_1.bias`, [c]);
    shapes.set(`${h}.attn.c_attn.weight`, [c, 3 * c]);
    shapes.set(`${h}.attn.c_attn.bias`, [3 * c]);
    shapes.set(`${h}.attn.c_proj.weight`, [c, c]);
    shapes.set(`${h}.attn.c_proj.bias`, [c]);
    shapes.set(`${h}.ln_2.weight`, [c]);
    shapes.set(`${h}.ln_2.bias`, [c]);
    shapes.set(`${h}.mlp.c_fc.weight`, [c, inner]);
    shapes.set(`${h}.mlp.c_fc.bias`, [inner]);
    shapes.set(`${h}.mlp.c_proj.weight`, [inner, c]);
    shapes.set(`${h}.mlp.c_proj.bias`, [c]);
  }
  shapes.set('ln_f.weight', [c]);
  shapes.set('ln_f.bias', [c]);
  return shapes;
}

const PREFIX = 'transformer.';
const TIED_HEAD = 'lm_head.weight';
const MAX_LISTED_PROBLEMS = 40;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function describeTensor(t: CheckpointTensor): string {
  return `${isFloatTensor(t) ? 'float' : t.dtype} ${formatShape(t.shape)}`;
}

/**
 * Checks a checkpoint against GPT-2's layout and returns exactly the canonical tensors.
 * Accepts a `transformer.` prefix (GPT2LMHeadModel state dicts), a tied `lm_head.weight`
 * (identical to wte), and the attention mask buffers `h.N.attn.bias` / `h.N.attn.masked_bias`,
 * which are dropped. The returned tensors share their data with `raw`.
 */
export function toGPT2Weights(raw: Record<string, CheckpointTensor>, cfg: GPT2WeightShapes): Record<string, RawTensor> {
  const expected = gpt2TensorShapes(cfg);
  const problems: string[] = [];

  const byName = new Map<string, CheckpointTensor>();
  for (const [original, tensor] of Object.entries(raw)) {
    const name = original.startsWith(PREFIX) ? original.slice(PREFIX.length) : original;
    if (byName.has(name)) problems.push(`tensor '${name}' appears both with and without the '${PREFIX}' prefix`);
    byName.set(name, tensor);
  }

  const out: Record<string, RawTensor> = {};
  for (const [name, shape] of expected) {
    const tensor = byName.get(name);
    if (!tensor) problems.push(`missing tensor '${name}' ${formatShape(shape)}`);
    else if (!isFloatTensor(tensor)) problems.push(`tensor '${name}' is ${describeTensor(tensor)}, expected a float tensor`);
    else if (!sameShape(tensor.shape, shape)) {
      problems.push(`tensor '${name}' has shape ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`);
    } else setOwn(out, name, { shape: shape.slice(), data: tensor.data });
  }

  for (const [name, tensor] of byName) {
    if (expected.has(name)) continue;
    const buffer = /^h\.(\d+)\.attn\.(bias|masked_bias)$/.exec(name);
    if (buffer && Number(buffer[1]) < cfg.nLayer && String(Number(buffer[1])) === buffer[1]) continue;
    if (name === TIED_HEAD) {
      const wte = byName.get('wte.weight');
      if (!isFloatTensor(tensor) || !sameShape(tensor.shape, [cfg.vocabSize, cfg.nEmbd])) {
        problems.push(`tensor '${TIED_HEAD}' is ${describeTensor(tensor)}, expected float [${cfg.vocabSize}, ${cfg.nEmbd}] tied to wte.weight`);
      } else if (wte && isFloatTensor(wte) && !bitIdentical(tensor.data, wte.data)) {
        problems.push(`untied lm_head not supported: '${TIED_HEAD}' differs from 'wte.weight'`);
      }
      continue;
    }
    problems.push(`unexpected tensor '${name}' ${describeTensor(tensor)}`);
  }

  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    if (problems.length > listed.length) listed.push(`... and ${problems.length - listed.length} more`);
    const inner = cfg.nInner ?? 4 * cfg.nEmbd;
    throw new Error(
      `Checkpoint does not match GPT-2 (n_layer ${cfg.nLayer}, n_embd ${cfg.nEmbd}, vocab_size ${cfg.vocabSize}, n_positions ${cfg.nPositions}, n_inner ${inner}): ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${listed.join('\n  ')}`,
    );
  }
  return out;
}
