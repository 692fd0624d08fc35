/** What bench/llama.ts asks the llama bench page, and what the page answers. */

export interface LlamaBenchArgs {
  /** The random gpt2-shaped weights' seed (randomGPT2Weights), the same the .gguf files hold. */
  seed: number;
  promptIds: number[];
  /** The same prompt as text (llama.cpp tokenizes it back to promptIds; the runner checks). */
  promptText: string;
  newTokens: number;
  /** The .gguf files, by kind. */
  ggufUrls: { f32: string; q8_0: string };
  wasmUrl: string;
}

export interface GenerationRun {
  /** newTokens / total time (prefill of the prompt included), as the generation row counts it. */
  tokensPerSec: number;
  totalMs: number;
  /** Decoding only, as the engine reports it (llama.cpp's own timings for wllama). */
  decodePerSec: number | null;
  tokens: number;
  threads: number;
  /** What generated the tokens: our backend, or wllama's build (multi-thread or not). */
  detail: string;
}

export interface LlamaBenchResult {
  ours: GenerationRun;
  wllama: { f32: GenerationRun; q8_0: GenerationRun };
}

/** What the page returns: the figures, our greedy ids and wllama f32's text (compared in Node). */
export interface LlamaBenchAnswer extends LlamaBenchResult {
  oursIds: number[];
  f32Text: string;
}
