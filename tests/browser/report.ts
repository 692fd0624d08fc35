/**
 * What the parity page's worker measures and posts back (as JSON), and what the page puts on
 * `window.__parity`. Only numbers computed in the browser: the comparison with reference.json
 * happens in Node (tests/e2e/parity.e2e.ts).
 */
export type BackendChoice = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export interface CaseFigures {
  ids: number[];
  /** Last position's logits. */
  first16: number[];
  /** [token id, logit] of the 5 largest last-position logits, largest first. */
  top5: Array<[number, number]>;
  l2: number;
  /** Mean next-token loss; null when the model refused (a 1-token sequence), with its message. */
  loss: number | null;
  lossRefusal: string | null;
  /** 12 argmax tokens: the first from the full pass, the rest through the KV cache. */
  greedy: number[];
  /** max |cache-step logits - full-pass logits| over the positions that predict the continuation. */
  kvMaxAbsDiff: number;
}

export interface TrainingFigures {
  meanLoss: number;
  /** L2 norm of the loss's gradient per model.safetensors tensor (wte chunks combined). */
  gradL2: Record<string, number>;
  /** Loss before each of the plain-SGD steps, then after the last one (null: SGD not run). */
  sgdLosses: number[] | null;
  /**
   * The trainer's gradients (GPT2.lossGradients: wte's input rows added apart from the tape, in
   * place on wasm, by one program on WebGL) against the tape's above: max |difference|.
   */
  trainerGradMaxAbsDiff: number;
  /** The global norm clipping computes (src/train/clip) of the trainer's gradients. */
  clipNorm: number;
}

/** tests/browser/backend-checks on this backend: each one's largest difference from float64. */
export interface BackendCheckFigures {
  optimizer: number;
  rowGradient: number;
  embeddingRows: number;
}

/** Live tensors after loading and after all the measurements: equal when nothing leaks. */
export interface TensorCounts {
  afterLoad: number;
  afterWork: number;
}

export interface ModelFigures {
  weights: 'model.safetensors' | 'pytorch_model.bin';
  /** Rows of each wte chunk (one entry: unsplit). */
  wteChunkRows: number[];
  cases: CaseFigures[];
  training: TrainingFigures;
  tensors: TensorCounts;
  ms: number;
}

/** model.safetensors loaded with a small maxTensorBytes, so wte is stored as row chunks. */
export interface SplitFigures {
  maxTensorBytes: number;
  wteChunkRows: number[];
  /** max |split - unsplit| over the training batch's logits (every position). */
  logitsMaxAbsDiff: number;
  /** Mean losses of the training batch, split and unsplit. */
  loss: number;
  unsplitLoss: number;
  training: TrainingFigures;
  tensors: TensorCounts;
  ms: number;
}

export interface TokenizerFigures {
  cases: Array<{ text: string; ids: number[]; decoded: string }>;
}

export interface AdapterFigures {
  architecture: string;
  vendor: string;
  isFallbackAdapter: boolean;
}

export interface ParityReport {
  requested: BackendChoice;
  /** tf.getBackend() while measuring. */
  backend: string;
  /** The WebGPU adapter the worker saw (null: none). */
  adapter: AdapterFigures | null;
  crossOriginIsolated: boolean;
  tokenizer: TokenizerFigures;
  models: ModelFigures[];
  split: SplitFigures;
  checks: BackendCheckFigures;
  /** Live tensors before anything was loaded and after every model was disposed. */
  tensorsAtStart: number;
  tensorsAtEnd: number;
  ms: number;
}

export type WorkerMessage =
  | { kind: 'progress'; stage: string }
  | { kind: 'done'; report: ParityReport }
  | { kind: 'failed'; error: string };
