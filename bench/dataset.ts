/**
 * A big archive, from the file to the packed dataset, as the engine does it: `ArchiveSet.add`
 * (zip random access, tweets.js parsing, cleaning), `merged()`, then the session's dataset build
 * in chunks (`buildDatasetInChunks`, the worker answering messages between chunks). Beside it,
 * the same texts built at once (`buildDataset`, one synchronous call: the worker answers nothing
 * meanwhile), the baseline, and a check that both give the same dataset.
 */
import { ArchiveSet } from '../src/engine/archives';
import { PreparationGate } from '../src/engine/training';
import { loadTokenizer } from '../src/model/tokenizer';
import { buildDataset, buildDatasetInChunks, type Dataset } from '../src/train/dataset';
import type { Log } from './measure';

export interface DatasetFigures {
  archiveBytes: number;
  tweetsInArchive: number;
  textsKept: number;
  blockSize: number;
  trainBlocks: number;
  valBlocks: number;
  tokens: number;
  /** readArchive through ArchiveSet.add: unzip, parse, clean. */
  readMs: number;
  /** mergeArchives (balancing, de-duplication) and the training-text check, as the engine calls them. */
  mergeMs: number;
  /** Tokenize, split and pack in chunks. */
  buildMs: number;
  totalMs: number;
  chunks: number;
  /** The longest the worker went without answering a message while building in chunks. */
  longestStallMs: number;
  /** Messages the worker answered during the chunked build (a timer ticking every 50 ms). */
  ticksDuringBuild: number;
  /** The baseline: buildDataset in one call (the worker answers nothing for this long). */
  atOnceMs: number;
  same: boolean;
}

const now = (): number => performance.now();

export async function measureDatasetBuild(archiveUrl: string, tokenizerUrl: string, tokenizerConfigUrl: string, log: Log): Promise<DatasetFigures> {
  const fetchBytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const [zip, tokenizerJson, tokenizerConfig] = await Promise.all([fetch(archiveUrl).then((r) => r.blob()), fetchBytes(tokenizerUrl), fetchBytes(tokenizerConfigUrl)]);
  const tokenizer = loadTokenizer({ 'tokenizer.json': tokenizerJson, 'tokenizer_config.json': tokenizerConfig });
  log(`dataset: archive of ${(zip.size / 2 ** 20).toFixed(1)} MiB; reading it as the engine does`);

  const t0 = now();
  const archives = new ArchiveSet();
  const { item } = await archives.add({ kind: 'file', file: new File([zip], 'twitter-archive.zip'), name: 'twitter-archive.zip' });
  const readMs = now() - t0;
  const m0 = now();
  archives.info();
  const texts = archives.merged().texts;
  const mergeMs = now() - m0;
  log(`dataset: ${item.summary.stats.downloaded} tweets read, ${texts.length} kept, in ${(readMs / 1000).toFixed(1)} s; building in chunks`);

  // A timer that ticks while the build runs shows the worker answering messages between chunks.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 50);
  let chunks = 0;
  let longestStallMs = 0;
  let last = now();
  const opts = { blockSize: 128, nPositions: 1024, seed: 42 };
  const gate = new PreparationGate();
  const b0 = now();
  let chunked: Dataset;
  try {
    chunked = await buildDatasetInChunks(texts, tokenizer, {
      ...opts,
      sliceMs: 50, // as the engine's datasetFor
      between: async () => {
        const t = now();
        longestStallMs = Math.max(longestStallMs, t - last);
        chunks++;
        await gate.between(); // what the engine awaits between chunks
        await new Promise<void>((resolve) => setTimeout(resolve, 0)); // lets the timer tick
        last = now();
      },
    });
    longestStallMs = Math.max(longestStallMs, now() - last);
  } finally {
    clearInterval(timer);
  }
  const buildMs = now() - b0;
  log(`dataset: built in chunks in ${(buildMs / 1000).toFixed(1)} s (${chunks + 1} chunks, longest stall ${Math.round(longestStallMs)} ms); now at once, the baseline`);

  const a0 = now();
  const whole = buildDataset(texts, tokenizer, opts);
  const atOnceMs = now() - a0;
  const same =
    whole.fingerprint === chunked.fingerprint &&
    whole.train.length === chunked.train.length &&
    whole.val.length === chunked.val.length &&
    whole.trainTokens === chunked.trainTokens &&
    whole.valTokens === chunked.valTokens;
  return {
    archiveBytes: zip.size,
    tweetsInArchive: item.summary.stats.downloaded,
    textsKept: texts.length,
    blockSize: chunked.blockSize,
    trainBlocks: chunked.train.length,
    valBlocks: chunked.val.length,
    tokens: chunked.trainTokens + chunked.valTokens,
    readMs,
    mergeMs,
    buildMs,
    totalMs: readMs + mergeMs + buildMs,
    chunks: chunks + 1,
    longestStallMs,
    ticksDuringBuild: ticks,
    atOnceMs,
    same,
  };
}
