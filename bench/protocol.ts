/**
 * What bench/run.ts (Node) asks the page, and the page asks a fresh worker, per phase. Every phase
 * gets its own worker: a WebAssembly heap only grows, so one phase's peak must not weigh on the next.
 */
import type { BackendName, BackendReport } from '../src/engine/api';
import type { BudgetArgs, BudgetFigures } from './budget';
import type { CopyFigures } from './copies';
import type { DatasetFigures } from './dataset';
import type { SoakFigures } from './soak';
import type { MatMulFigures } from './matmul';
import type { GenerationFigures, TrainingFigures, UncachedMode } from './measure';
import type { PeerFigures } from './peer';
import type { ShapeName } from './shapes';

export interface PhaseArgs {
  backend: { matMulN: number };
  generation: { backend: BackendName; shape: ShapeName; newTokens: number; promptTokens: number; uncached: UncachedMode };
  load: { backend: BackendName; repo: string; host: string; legacy?: boolean };
  /** Copies the bench library into the pre-Blob format, for the legacy return visit. */
  'legacy-library': { repo: string };
  train: { backend: BackendName; shape: ShapeName; mode: 'full' | 'lora'; blockSize: number; warmupSteps: number; steps: number; dropout: boolean; peakMemory: boolean; matMulN?: number };
  peer: { backend: BackendName; shape: ShapeName; blockSize: number; warmupSteps: number; steps: number };
  copies: { tweets: number; checks: number; builds: number };
  dataset: { archiveUrl: string; tokenizerUrl: string; tokenizerConfigUrl: string };
  soak: { backend: BackendName; host: string; repo: string; archiveUrl: string; steps: number; generations: number };
  budget: BudgetArgs;
}

export interface LoadFigures {
  /** fetchModelFiles: from the host (download + IndexedDB write) or from IndexedDB. */
  filesMs: number;
  /** loadGPT2: parse the safetensors and make the tfjs variables (parseMs + uploadMs). */
  buildMs: number;
  /** The safetensors parse: header, then views of the file (or, the old way, copies). */
  parseMs?: number;
  /** Every tensor into the backend's memory, as a variable. */
  uploadMs?: number;
  /** loadTokenizer from tokenizer.json, which the page also does (not in totalMs). */
  tokenizerMs?: number;
  /** How the files were stored: 'blob' (current) or 'legacy' (a Uint8Array value, read the old way). */
  format?: 'blob' | 'legacy';
  totalMs: number;
  bytes: number;
  files: string[];
  persistent: boolean;
  /** The first values of one weight, to check both loads (and the file written) agree. */
  probe: number[];
}

export interface BackendFigures {
  report: BackendReport;
  matMul: MatMulFigures;
}

export interface PhaseResults {
  backend: BackendFigures;
  generation: GenerationFigures;
  load: LoadFigures;
  'legacy-library': { ms: number };
  /** wasmLivePeakBytes: wasm only, the most bytes malloc'ed at once in the heap during the phase (the heap itself is larger: fragmentation). */
  /** optimizerMaxDiff, rowGradientMaxDiff, embeddingRowsMaxDiff: this backend's paths vs references (tests/browser/backend-checks). */
  train: TrainingFigures & { backend: BackendName; matMul?: MatMulFigures; wasmLivePeakBytes?: number; optimizerMaxDiff?: number; rowGradientMaxDiff?: number; embeddingRowsMaxDiff?: number };
  peer: PeerFigures;
  copies: CopyFigures;
  dataset: DatasetFigures;
  soak: SoakFigures;
  budget: BudgetFigures;
}

export type PhaseName = keyof PhaseArgs;

export interface PhaseRequest<P extends PhaseName = PhaseName> {
  phase: P;
  args: PhaseArgs[P];
}

export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string; stack?: string }
  /** The soak asks the page to measure memory (it sees workers); the page answers with PageAnswer. */
  | { type: 'measure-memory'; id: string };

/** What the page sends a phase worker besides its PhaseRequest. */
export type PageAnswer = { type: 'memory-result'; id: string; workerJsBytes: number | null; source: string };

/** The weight whose first values `LoadFigures.probe` holds. */
export const PROBE_TENSOR = 'h.0.attn.c_attn.weight';
export const PROBE_VALUES = 8;

/** Start of the bench worker's error when an allocation fails in the wasm heap (see bench.worker.ts). */
export const HEAP_FULL = 'the wasm heap is full';
