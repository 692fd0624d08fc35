/** What bench/transformers.ts asks the transformers.js bench page, and what the page answers. */
import type { GenerationRun } from '../llama/protocol';

export type { GenerationRun } from '../llama/protocol';

export interface TjsBenchArgs {
  /** The random gpt2-shaped weights' seed (randomGPT2Weights), the same the .onnx files hold. */
  seed: number;
  promptIds: number[];
  newTokens: number;
  /** transformers.js repo id on the bench site's model host (`/hf/<repo>/resolve/main/…`). */
  repo: string;
}

export interface TjsRun extends GenerationRun {
  /** Model load to ready: file fetch + onnxruntime session (ours: the random weights into the backend). */
  loadMs: number;
  ids: number[];
}

export type TjsEngine = 'ours' | 'fp32' | 'q8';

/** A run as the runner reports it: the page's figures and the renderer's peak memory. */
export interface TjsRunReport extends TjsRun {
  /** Peak resident memory (VmHWM) of the browser's renderer process, which runs the page and its workers; fresh browser per run. */
  peakRendererBytes: number | null;
}
