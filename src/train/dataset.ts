/**
 * Tweets → fixed-length token blocks for causal-LM training.
 *
 * Layout of one split (train or validation): the split's tweets, each tokenized and followed by
 * `<|endoftext|>`, with one more `<|endoftext|>` in front, so every tweet is both preceded and
 * followed by EOS — generation starts from `<|endoftext|>`, and the model learns how tweets open
 * and where they stop.
 *
 *     EOS t1 t1 t1 EOS t2 t2 EOS t3 ...
 *
 * Packing: blocks hold `blockSize + 1` ids and start every `blockSize` ids, so neighbouring blocks
 * share one token. `model.loss(ids)` predicts ids[1:] from ids[:-1]: a block trains exactly
 * `blockSize` predictions on `blockSize` input positions, and every token of the stream after the
 * first is a target exactly once (Hugging Face's group_texts + in-model label shift instead loses
 * one prediction per block). When the stream does not divide evenly, one last block is aligned to
 * the stream's end, overlapping its predecessor, so no tweet is left out; the few overlapping
 * targets count twice.
 *
 * The split is by tweet, drawn from a seeded shuffle before packing: no validation tweet, not even a
 * piece of one, appears in training. Everything is deterministic in (texts, tokenizer, options).
 */
import { mixSeed, mulberry32, permutation } from '../random';

/** What packing needs from a tokenizer (src/model's tokenizer satisfies it). */
export interface TextTokenizer {
  encode(text: string): number[];
  eosId: number;
}

export interface DatasetOptions {
  /** Predictions (and input positions) per block. Default 128; clamped to nPositions. */
  blockSize?: number;
  /** The model's context length; blockSize never exceeds it. */
  nPositions?: number;
  /** Share of tweets held out for validation. Default 0.1; 0 disables validation. */
  valFraction?: number;
  /** Fewest validation tweets when valFraction > 0 (a handful of tweets gives a noisy but honest number). Default 2. */
  minValTweets?: number;
  /** Seed of the tweet shuffle and of the epoch orders. Default 0. */
  seed?: number;
}

export interface Dataset {
  /** Predictions per block; every block holds blockSize + 1 ids. */
  blockSize: number;
  train: Int32Array[];
  val: Int32Array[];
  trainTweets: number;
  valTweets: number;
  /** Length of each split's token stream (EOS separators included). */
  trainTokens: number;
  valTokens: number;
  seed: number;
  /** Hash of both streams and the block size: a checkpoint refuses to resume on different data. */
  fingerprint: string;
}

export const DEFAULT_BLOCK_SIZE = 128;
export const DEFAULT_VAL_FRACTION = 0.1;
export const DEFAULT_MIN_VAL_TWEETS = 2;
/** Below this, blocks would be too short to teach anything; such a corpus is refused. */
export const MIN_BLOCK_SIZE = 2;

/** How many of `n` tweets go to validation: round(n·fraction), at least `min`, never all of them. */
export function validationCount(n: number, fraction: number, min: number): number {
  if (!(fraction > 0) || n < 2) return 0;
  return Math.min(Math.max(Math.round(n * fraction), min), n - 1);
}

/** One split's token stream: EOS, then each tweet followed by EOS. */
export function tokenStream(tweets: number[][], eosId: number): Int32Array {
  const length = 1 + tweets.reduce((s, t) => s + t.length + 1, 0);
  const stream = new Int32Array(length);
  stream[0] = eosId;
  let at = 1;
  for (const ids of tweets) {
    stream.set(ids, at);
    at += ids.length;
    stream[at++] = eosId;
  }
  return stream;
}

/** Cut a stream into blocks of blockSize + 1 ids that overlap by one (see the file comment). */
export function packBlocks(stream: Int32Array, blockSize: number): Int32Array[] {
  const predictions = stream.length - 1;
  if (predictions < blockSize) return [];
  const blocks: Int32Array[] = [];
  let start = 0;
  for (; start + blockSize + 1 <= stream.length; start += blockSize) {
    blocks.push(stream.slice(start, start + blockSize + 1));
  }
  // `start` is now the first id not yet a target's input; a tail is left when targets remain.
  if (start < predictions) blocks.push(stream.slice(stream.length - blockSize - 1));
  return blocks;
}

/** Tokenize, split by tweet and pack. Throws when there is nothing to train on. */
export function buildDataset(texts: string[], tokenizer: TextTokenizer, opts: DatasetOptions = {}): Dataset {
  const steps = datasetSteps(texts, tokenizer, opts, Infinity);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** How far `buildDatasetInChunks` is: tweets tokenized so far, of all of them. */
export interface DatasetProgress {
  tweetsDone: number;
  tweets: number;
}

export interface ChunkedDatasetOptions extends DatasetOptions {
  /** Tweets tokenized between two pauses. Default 250 (about 10 ms on a laptop core). */
  chunkSize?: number;
  /**
   * Pause only once this many ms have passed since the last pause (checked after every chunk),
   * so a slow or busy machine still answers messages about this often. Default: after every chunk.
   */
  sliceMs?: number;
  /** Called after every chunk, and once at the end. */
  onProgress?(p: DatasetProgress): void;
  /**
   * Awaited between chunks: a worker answers its messages there; a pause is a promise that waits,
   * a cancel one that rejects (the build then stops with that error).
   */
  between?(): Promise<void>;
}

export const DEFAULT_DATASET_CHUNK = 250;

/**
 * `buildDataset` cut into chunks of tweets, awaiting `between` after each, so a big archive does
 * not hold the worker for seconds: the same steps in the same order, so the same Dataset.
 */
export async function buildDatasetInChunks(texts: string[], tokenizer: TextTokenizer, opts: ChunkedDatasetOptions = {}): Promise<Dataset> {
  const steps = datasetSteps(texts, tokenizer, opts, Math.max(1, Math.floor(opts.chunkSize ?? DEFAULT_DATASET_CHUNK)));
  const clock = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
  let sliceStart = clock();
  for (;;) {
    const next = steps.next();
    if (next.done) {
      opts.onProgress?.({ tweetsDone: next.value.trainTweets + next.value.valTweets, tweets: next.value.trainTweets + next.value.valTweets });
      return next.value;
    }
    if (opts.sliceMs !== undefined && clock() - sliceStart < opts.sliceMs) continue;
    opts.onProgress?.(next.value);
    await opts.between?.();
    sliceStart = clock();
  }
}

/**
 * The build itself, as a generator that stops after every `chunkSize` tweets tokenized (and once
 * before packing), so callers decide between running it at once and running it in slices.
 */
function* datasetSteps(texts: string[], tokenizer: TextTokenizer, opts: DatasetOptions, chunkSize: number): Generator<DatasetProgress, Dataset> {
  const seed = opts.seed ?? 0;
  const nPositions = opts.nPositions ?? Infinity;
  const requested = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(requested) || requested < MIN_BLOCK_SIZE) throw new Error(`blockSize must be an integer ≥ ${MIN_BLOCK_SIZE}, got ${requested}`);

  const tweets = texts.filter((t) => t.trim().length > 0);
  if (tweets.length === 0) throw new Error('no tweets to train on');
  const order = permutation(tweets.length, mulberry32(mixSeed(seed, 0x5b117)));
  const nVal = validationCount(tweets.length, opts.valFraction ?? DEFAULT_VAL_FRACTION, opts.minValTweets ?? DEFAULT_MIN_VAL_TWEETS);
  // Tokenized in shuffled order: validation tweets first, then training ones.
  const ids: number[][] = new Array(tweets.length);
  for (let at = 0; at < tweets.length; ) {
    const end = Math.min(tweets.length, at + chunkSize);
    for (; at < end; at++) ids[at] = tokenizer.encode(tweets[order[at]]);
    if (at < tweets.length) yield { tweetsDone: at, tweets: tweets.length };
  }
  const valIds = ids.slice(0, nVal);
  const trainIds = ids.slice(nVal);

  const trainStream = tokenStream(trainIds, tokenizer.eosId);
  const valStream = tokenStream(valIds, tokenizer.eosId);
  // A block may not be longer than the shorter split (or validation would be empty): small
  // archives get shorter blocks, which costs little since most tweets are far shorter than 128 tokens.
  let blockSize = Math.min(requested, nPositions, trainStream.length - 1);
  if (nVal > 0) blockSize = Math.min(blockSize, valStream.length - 1);
  if (blockSize < MIN_BLOCK_SIZE) throw new Error(`too little text to train on (${trainStream.length} tokens)`);

  return {
    blockSize,
    train: packBlocks(trainStream, blockSize),
    val: nVal > 0 ? packBlocks(valStream, blockSize) : [],
    trainTweets: trainIds.length,
    valTweets: valIds.length,
    trainTokens: trainStream.length,
    valTokens: nVal > 0 ? valStream.length : 0,
    seed,
    fingerprint: fingerprint([trainStream, valStream], blockSize),
  };
}

/**
 * The tweets `buildDataset(texts, …, opts)` holds out for validation, in its order: the same
 * filter, shuffle and count. For what needs the texts themselves (per-person validation loss, the
 * "real or bot?" game), which the packed blocks no longer tell apart.
 */
export function validationTexts(texts: string[], opts: Pick<DatasetOptions, 'seed' | 'valFraction' | 'minValTweets'> = {}): string[] {
  const tweets = texts.filter((t) => t.trim().length > 0);
  const order = permutation(tweets.length, mulberry32(mixSeed(opts.seed ?? 0, 0x5b117)));
  const nVal = validationCount(tweets.length, opts.valFraction ?? DEFAULT_VAL_FRACTION, opts.minValTweets ?? DEFAULT_MIN_VAL_TWEETS);
  return Array.from(order.subarray(0, nVal), (i) => tweets[i]);
}

/** The order in which epoch `epoch` visits the training blocks: a fresh seeded shuffle per epoch. */
export function epochOrder(nBlocks: number, epoch: number, seed: number): Int32Array {
  return permutation(nBlocks, mulberry32(mixSeed(seed, epoch, 0xe90c)));
}

function fingerprint(streams: Int32Array[], blockSize: number): string {
  // FNV-1a over the ids, with the stream lengths and block size folded in.
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
  };
  mix(blockSize);
  for (const s of streams) {
    mix(s.length);
    for (let i = 0; i < s.length; i++) mix(s[i]);
  }
  return h.toString(16).padStart(8, '0');
}
