/**
 * Validation loss per person, for a bot merged from several archives: the held-out tweets
 * (`validationTexts`, the same split training uses) grouped by whose archive they came from, each
 * group packed as training packs a split (EOS-separated stream, blocks of blockSize + 1) and
 * scored with the model's mean next-token loss, no dropout.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2 } from '../model/gpt2';
import { MIN_BLOCK_SIZE, packBlocks, tokenStream, type TextTokenizer } from './dataset';

/**
 * Groups held-out texts by owner: `owners[p]` is person p's kept tweets. A text two people both
 * wrote counts for the first of them. Texts nobody owns are left out.
 */
export function groupByPerson(heldOut: string[], owners: string[][]): string[][] {
  const ownerOf = new Map<string, number>();
  owners.forEach((texts, p) => {
    for (const t of texts) if (!ownerOf.has(t)) ownerOf.set(t, p);
  });
  const groups: string[][] = owners.map(() => []);
  for (const t of heldOut) {
    const p = ownerOf.get(t);
    if (p !== undefined) groups[p].push(t);
  }
  return groups;
}

/**
 * Mean next-token loss of `model` over these texts packed into blocks of at most `blockSize`
 * predictions (shorter when the texts are fewer), or null when they make no block.
 */
export async function textsLoss(model: GPT2, tokenizer: TextTokenizer, texts: string[], blockSize: number, batch = 4): Promise<number | null> {
  if (texts.length === 0) return null;
  const stream = tokenStream(texts.map((t) => tokenizer.encode(t)), tokenizer.eosId);
  const size = Math.min(blockSize, model.config.nPositions, stream.length - 1);
  if (size < MIN_BLOCK_SIZE) return null;
  const blocks = packBlocks(stream, size);
  let sum = 0;
  for (let start = 0; start < blocks.length; start += batch) {
    const chunk = blocks.slice(start, start + batch);
    const flat = new Int32Array(chunk.length * (size + 1));
    chunk.forEach((b, i) => flat.set(b, i * (size + 1)));
    // Every block has the same number of targets: weighting each batch mean by its block count gives the per-token mean.
    const loss = tf.tidy(() => tf.mul(model.loss(tf.tensor2d(flat, [chunk.length, size + 1], 'int32')), chunk.length));
    sum += (await loss.data())[0];
    loss.dispose();
  }
  return sum / blocks.length;
}
