/**
 * The one interface between the page and the engine worker (exposed with comlink).
 *
 * Everything that crosses it is plain, structured-cloneable data or a callback the page wraps in
 * `Comlink.proxy`. The page never imports tfjs; the worker is the only place it runs.
 */
import type { ArchiveStats } from '../archive/types';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export interface BackendProbe {
  name: BackendName;
  /** Measured matMul throughput of the probe, GFLOP/s; null when the backend could not start. */
  gflops: number | null;
  note: string;
}

export interface BackendReport {
  name: BackendName;
  /** A sentence for the page: why this backend runs. */
  reason: string;
  forced: boolean;
  probes: BackendProbe[];
  /** wasm threads in use (1 when the page is not cross-origin isolated). */
  threads: number;
  crossOriginIsolated: boolean;
  adapter: { vendor: string; architecture: string; isFallbackAdapter: boolean; maxBindingBytes: number } | null;
  /** What went wrong on the way, in sentences (a start past its deadline and what the engine did instead). */
  notes: string[];
}

export interface EngineInit {
  /** Force a backend (URL `?backend=`); it fails loudly when that backend is missing. */
  backend: BackendName | null;
  /** Base URL of the model host (Hugging Face layout `/<repo>/resolve/<rev>/<file>`). */
  modelHost: string;
  /** False when the page found no usable IndexedDB (private windows): keep everything in memory. */
  storageAvailable: boolean;
  /** Backends not to use (after a GPU was lost, the page restarts the engine without webgpu). */
  avoid: BackendName[];
  /**
   * False: start wasm single-threaded. The page asks this after a worker stopped answering during a
   * threaded start (Firefox sometimes never starts wasm's thread workers, and the engine blocks).
   */
  wasmThreads?: boolean;
}

/** Something the engine cannot recover from by itself; the page restarts it. */
export interface EngineFault {
  kind: 'device-lost';
  message: string;
}

/** The huggingtweets counts of one export (a type only: the page never loads the archive code). */
export type { ArchiveStats };

/** Where an export comes from. */
export type ArchiveNetwork = 'x' | 'bluesky' | 'mastodon';

/** One person's archive as the page shows it (the tweets themselves stay in the worker). */
export interface ArchiveSummary {
  id: string;
  fileName: string;
  network: ArchiveNetwork;
  /** X account id, Bluesky DID, Mastodon actor id (a URL); '' when the export does not say. */
  accountId: string;
  /** '' for a loose tweets.js and for Bluesky until the person types the handle. */
  username: string;
  displayName: string;
  stats: ArchiveStats;
  firstDate: string | null;
  lastDate: string | null;
  samples: string[];
  filesRead: string[];
  /** The profile picture read from the archive (the page shows it from a Blob), or null. */
  avatar?: { fileName: string; mimeType: string; bytes: Uint8Array } | null;
  /** Characters of this person's kept tweets (code points), before any balancing. */
  chars?: number;
}

export interface TrainingDataInfo {
  botName: string;
  usernames: string[];
  displayNames: string[];
  /** Characters of the kept tweets of everyone, as written (no tweet counted twice). */
  chars: number;
  level: 'refuse' | 'warn' | 'ok' | 'empty';
  message: string;
  /** Characters of one epoch after balancing (smaller archives repeated to weigh as much as the largest). */
  balancedChars?: number;
  /** How balancing weighs each person, for the page; '' with one person. */
  balance?: string;
}

export type ArchiveInput =
  | { kind: 'file'; file: Blob; name: string }
  | { kind: 'folder'; files: Array<{ path: string; file: Blob }> };

export interface AddArchiveResult {
  /** The archive added, or the one already there when the same archive was dropped twice. */
  archive: ArchiveSummary;
  duplicate: boolean;
  data: TrainingDataInfo;
}

export interface FileProgress {
  file: string;
  loaded: number;
  total: number | null;
  bytesPerSec: number;
  etaSec: number | null;
  fromCache: boolean;
}

export type ModelSource =
  | { kind: 'hub'; repo: string; revision?: string }
  | { kind: 'files'; files: Array<{ name: string; file: Blob }> }
  | { kind: 'library'; id: string }
  /** A PEFT LoRA adapter (its two files, or its zip): loaded on its base from the library, then kept there. */
  | { kind: 'adapter'; files: Array<{ name: string; file: Blob }> };

/** A dropped LoRA adapter, before it is loaded: which base it needs, and whether the library has it. */
export interface AdapterCheck {
  /** The repo it was made from (adapter_config.json's base_model_name_or_path). */
  baseRepo: string;
  /** The library's copy of that base, or null: the page offers to download baseRepo first. */
  baseId: string | null;
  baseName: string | null;
  rank: number;
  sizeBytes: number;
}

export interface ModelInfo {
  id: string;
  name: string;
  kind: 'base' | 'finetuned';
  baseRepo: string;
  params: number;
  config: { nLayer: number; nHead: number; nEmbd: number; nPositions: number; vocabSize: number };
  /** Zero when every file came from IndexedDB. */
  networkBytes: number;
  loadMs: number;
  persisted: boolean;
}

export interface LibraryEntry {
  id: string;
  name: string;
  kind: 'base' | 'finetuned';
  baseRepo: string;
  sizeBytes: number;
  createdAt: string;
  archiveSummary: string | null;
  finalValLoss: number | null;
  /** A LoRA bot: stored as its adapter alone (sizeBytes), sharing the weights of this base (baseName null: not in the library). */
  adapter?: { baseId: string; baseName: string | null; baseSizeBytes: number | null };
  /** A base model: the names of the LoRA bots that use its weights. */
  usedBy?: string[];
}

export interface StorageInfo {
  persistent: boolean;
  /** Why models are not kept (IndexedDB unavailable, storage full), or null. */
  note: string | null;
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export interface TrainSettings {
  epochs: number;
  learningRate: number;
  batchSize: number;
  microBatch: number;
  blockSize: number;
  mode: 'auto' | 'full' | 'lora';
  loraRank: number;
  loraAlpha: number;
  warmupFraction: number;
  weightDecay: number;
  clipNorm: number;
  seed: number;
  /** Stop after this many optimizer steps (0 = the whole schedule). */
  maxSteps: number;
  /** Save a checkpoint at least this often (minutes); also on pause, cancel and at the end. */
  checkpointMinutes: number;
  modelName: string;
  /**
   * The person's time: 0 = train for the recipe's epochs; a number of minutes = plan the steps to
   * end about then (from the measured step time); -1 = until the validation loss stops improving.
   */
  budgetMinutes: number;
  /** Early stopping: stop when the validation loss has not improved for this many validations (0 = never). */
  patience: number;
}

/** A budgeted run's plan, as the page shows it. */
export interface TrainPlan {
  totalSteps: number;
  epochs: number;
  /** Working time left to the plan's end at the plan's step and validation times. */
  remainingMs: number;
  msPerStep: number;
  budgetMs: number;
  /** Why the plan is what it is (made from the measured step time, or re-planned and why). */
  reason: string;
  replans: number;
}

export interface TrainProgress {
  phase: 'preparing' | 'evaluating' | 'training' | 'paused' | 'checkpoint' | 'done' | 'cancelled';
  step: number;
  totalSteps: number;
  epoch: number;
  trainLoss: number | null;
  valLoss: number | null;
  valPerplexity: number | null;
  valLossBefore: number | null;
  tokensPerSec: number;
  elapsedMs: number;
  etaMs: number | null;
  lr: number;
  mode: 'full' | 'lora';
  modeReason: string;
  message: string;
  /** While the phase is 'preparing': tweets tokenized so far, of all of them. */
  prepared?: { done: number; total: number };
  /** A budgeted run's plan (absent or null without a budget, and before the step time is measured). */
  plan?: TrainPlan | null;
  /** The lowest validation loss so far and its step: the weights the bot keeps. */
  best?: { step: number; loss: number } | null;
  /** Every validation so far (step, loss). */
  validations?: Array<{ step: number; loss: number }>;
  /** Live samples written after the validation at `samplesStep` (fixed prompts and seeds, copy-checked). */
  samples?: LiveSample[];
  samplesStep?: number;
}

/** A short tweet written at a validation while training. */
export interface LiveSample {
  prompt: string;
  seed: number;
  text: string;
  copy: CopyInfo | null;
}

export interface TrainResult {
  modelId: string | null;
  name: string;
  steps: number;
  valLossBefore: number;
  valLossAfter: number;
  cancelled: boolean;
  /** Training time, as the page's "Elapsed" and the model card state it. */
  seconds?: number;
  /** The step whose weights the bot keeps (the lowest validation loss), and why training stopped. */
  keptStep?: number | null;
  stopReason?: string | null;
  /** Per-person losses and the seeded tweets' copy count, measured after training (absent when cancelled). */
  quality?: QualityReport | null;
}

/** A generated text copies one of the person's kept (training) tweets (src/generate/copies.ts). */
export interface CopyInfo {
  /** The kept tweet, as cleaned for training. */
  original: string;
  /** When it was tweeted (ISO), when the archive says. */
  date: string | null;
  /** Whose archive it is from. */
  username: string;
  /** Longest run of consecutive words the two share, and the generated text's word count. */
  run: number;
  words: number;
}

export interface PersonQuality {
  username: string;
  displayName: string;
  /** Held-out (validation) tweets of this person. */
  valTweets: number;
  /** Mean next-token loss on them before and after fine-tuning (perplexity = e^loss); null when unmeasured. */
  valLossBefore: number | null;
  valLossAfter: number | null;
}

export interface SeededSample {
  prompt: string;
  seed: number;
  text: string;
  copy: CopyInfo | null;
}

/** How good the fine-tune is: validation loss before/after (per person for a merged bot), and whether it copies. */
export interface QualityReport {
  valLossBefore: number;
  valLossAfter: number;
  /** One per archive when the bot is merged from several; empty for one person (the totals are theirs). */
  people: PersonQuality[];
  /** The fixed set of seeded tweets written after training, and the settings they were written with. */
  samples: SeededSample[];
  sampleSettings: { maxNewTokens: number; temperature: number; topK: number; topP: number };
  copies: number;
}

/** One round of "Real or bot?": a held-out tweet and a generated one, in random order. */
export interface GameRound {
  texts: [string, string];
  realIndex: 0 | 1;
}

export interface CheckpointInfo {
  id: string;
  name: string;
  step: number;
  totalSteps: number;
  savedAt: string;
  baseRepo: string;
}

export interface GenerateSettings {
  prompt: string;
  count: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  /** Replace tweets that copy a training tweet with fresh samples (a few tries each). */
  onlyNew?: boolean;
}

export interface GenerateEvent {
  index: number;
  text: string;
  done: boolean;
  /** On the done event: the training tweet this one copies, or null. */
  copy?: CopyInfo | null;
  /** How many copies were discarded for this card ("only new tweets"). */
  replaced?: number;
  /** "Only new tweets" gave up: every try copied, the last one is shown. */
  gaveUp?: boolean;
}

export interface Engine {
  init(opts: EngineInit, onFault: (f: EngineFault) => void): Promise<BackendReport>;
  /** Answers at once with what the engine is doing ("starting wasm with 2 threads"): a worker that does not answer is blocked, not busy. */
  ping(): Promise<string>;
  /** Fault injection for the tests: destroys the WebGPU device as a driver reset would. */
  debugLoseDevice(): Promise<void>;

  addArchive(input: ArchiveInput): Promise<AddArchiveResult>;
  removeArchive(id: string): Promise<TrainingDataInfo>;
  renameArchive(id: string, username: string, displayName: string): Promise<TrainingDataInfo>;
  forgetArchives(): Promise<TrainingDataInfo>;
  listArchives(): Promise<ArchiveSummary[]>;
  /** The merged bot's name and whether there is enough text; null with no archive. */
  trainingData(): Promise<TrainingDataInfo | null>;

  modelDownloadSize(repo: string, revision?: string): Promise<number | null>;
  loadModel(source: ModelSource, onProgress: (p: FileProgress) => void): Promise<ModelInfo>;
  currentModel(): Promise<ModelInfo | null>;
  library(): Promise<LibraryEntry[]>;
  storage(): Promise<StorageInfo>;
  renameModel(id: string, name: string): Promise<void>;
  /** Refuses a base that LoRA bots use unless `evenIfUsed` (the page asks first). */
  deleteModel(id: string, opts?: { evenIfUsed?: boolean }): Promise<void>;
  /** Whether dropped files are a LoRA adapter (null: they are not), and whether its base is here. */
  inspectAdapter(files: Array<{ name: string; file: Blob }>): Promise<AdapterCheck | null>;

  defaultTrainSettings(): Promise<TrainSettings>;
  train(settings: TrainSettings, onProgress: (p: TrainProgress) => void): Promise<TrainResult>;
  pendingCheckpoint(): Promise<CheckpointInfo | null>;
  resumeTraining(onProgress: (p: TrainProgress) => void): Promise<TrainResult>;
  discardCheckpoint(): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  cancel(): Promise<void>;

  generate(settings: GenerateSettings, onEvent: (e: GenerateEvent) => void): Promise<string[]>;
  stopGenerating(): Promise<void>;

  /** Whether each text copies a kept tweet of the current archives (null where it does not). */
  checkCopies(texts: string[]): Promise<Array<CopyInfo | null>>;
  /** The quality figures of the current model when it was fine-tuned here, or null. */
  qualityReport(): Promise<QualityReport | null>;
  /** "Real or bot?": a held-out tweet (never trained on; it stays in this page) and a generated one. */
  gameRound(round: number): Promise<GameRound>;

  exportModel(id: string): Promise<{ fileName: string; blob: Blob }>;
  /** A LoRA bot's PEFT adapter as a zip (adapter_config.json, adapter_model.safetensors, README.md). */
  exportAdapter(id: string): Promise<{ fileName: string; blob: Blob }>;
  /** The model as one .gguf for llama.cpp, Ollama and LM Studio: f32, or Q8_0 (about a quarter the size). */
  exportGguf(id: string, dtype: 'f32' | 'q8_0'): Promise<{ fileName: string; blob: Blob }>;
  importModelZip(file: Blob): Promise<LibraryEntry>;
}
