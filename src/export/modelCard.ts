/**
 * README.md for an exported model, in the shape of the huggingtweets model cards (front matter
 * with a widget prompt, the "AI BOT" banner, how it works, the training-data table, the training
 * procedure, how to use it, limitations), filled with the real figures of this run.
 */

export interface PersonStats {
  username: string;
  displayName: string;
  /** tweets (posts) in the archive */
  downloaded: number;
  /** retweets (X), reposts (Bluesky), boosts (Mastodon) */
  retweets: number;
  /** tweets dropped as too short */
  short: number;
  kept: number;
  /** where the archive came from; 'x' when absent (models made before Bluesky and Mastodon) */
  network?: 'x' | 'bluesky' | 'mastodon';
  /** X account id, Bluesky DID, Mastodon actor id (a URL) */
  accountId?: string;
  /** Mastodon direct messages skipped */
  direct?: number;
}

type Network = NonNullable<PersonStats['network']>;

const NETWORK_NAME: Record<Network, string> = { x: 'X', bluesky: 'Bluesky', mastodon: 'Mastodon' };
const EXPORT_NAME: Record<Network, string> = { x: 'Twitter/X archive', bluesky: 'Bluesky repository export', mastodon: 'Mastodon archive' };
const POSTS_WORD: Record<Network, string> = { x: 'Tweets', bluesky: 'Posts', mastodon: 'Posts' };
const SHARED_WORD: Record<Network, string> = { x: 'Retweets', bluesky: 'Reposts', mastodon: 'Boosts' };

/** Where a person's profile lives: twitter.com/<user>, bsky.app/profile/<handle or DID>, the Mastodon actor. */
export function profileUrl(network: Network, username: string, accountId = ''): string {
  if (network === 'bluesky') return `https://bsky.app/profile/${encodeURIComponent(username || accountId)}`;
  if (network === 'mastodon') return /^https?:\/\//.test(accountId) ? accountId : '';
  return `https://twitter.com/${encodeURIComponent(username)}`;
}

/** How a person is named in the card: @user, @user@server (Mastodon), or the DID of an unnamed Bluesky export. */
function handleOf(network: Network, username: string, accountId = ''): string {
  if (network === 'mastodon' && username && /^https?:\/\//.test(accountId)) {
    try {
      return `@${username}@${new URL(accountId).host}`;
    } catch {
      return `@${username}`;
    }
  }
  if (network === 'bluesky' && !username) return accountId || '(Bluesky)';
  return `@${username}`;
}

function unique(words: string[]): string[] {
  return [...new Set(words)];
}

export interface TrainingFacts {
  epochs: number;
  steps: number;
  lr: number;
  batch: number;
  mode: 'full' | 'lora';
  loraRank?: number;
  /** tokens per training sequence */
  blockSize: number;
  valLossBefore: number;
  valLossAfter: number;
  trainLoss: number;
  seconds: number;
  /** tfjs backend the run used: webgpu, webgl, wasm, cpu */
  backend: string;
  /** Why training stopped and which weights were kept (early stopping, a time budget, the recipe's end). */
  stopReason?: string | null;
  /** The step whose weights the model is (the lowest validation loss). */
  keptStep?: number | null;
}

/** A seeded tweet written after training, and whether it copies a training tweet. */
export interface CardSample {
  prompt: string;
  seed: number;
  text: string;
  copy: { original: string; date: string | null; username: string; run: number } | null;
}

/** How good the fine-tune is (src/engine/quality.ts): per-person losses and the seeded tweets. */
export interface CardQuality {
  people: Array<{ username: string; displayName: string; valTweets: number; valLossBefore: number | null; valLossAfter: number | null }>;
  samples: CardSample[];
  sampleSettings: { maxNewTokens: number; temperature: number; topK: number; topP: number };
  /** Seeded tweets that copy a training tweet. */
  copies: number;
}

export interface ModelCardInput {
  botName: string;
  displayNames: string[];
  usernames: string[];
  stats: PersonStats[];
  /** the hub repo the weights started from, e.g. openai-community/gpt2 */
  baseModel: string;
  training: TrainingFacts;
  date: Date | string;
  /** the id to load it by in the "How to use" snippet; a slug of botName by default */
  modelId?: string;
  thumbnail?: string;
  /** ISO 639-1 codes of the kept tweets' languages, most used first; omitted from the card when empty or absent. */
  languages?: string[];
  quality?: CardQuality;
  /** Avatar image files beside README.md in the export, one per person who has one. */
  avatars?: Array<{ username: string; file: string }>;
}

/** Seeded tweets the card shows. */
export const CARD_SAMPLES = 5;

const HUGGINGTWEETS = 'https://github.com/borisdayma/huggingtweets';
const DEFAULT_THUMBNAIL = `${HUGGINGTWEETS}/blob/master/img/logo_share.png?raw=true`;

/** Backslash-escape what Markdown would read as formatting (and `|`, which ends a table cell). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value for a Python string literal / hub id: letters, digits, '-', '_', '.', '/'. */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9._/-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-./]+|[-./]+$/g, '');
  return slug || 'tweetgpt-bot';
}

function isoDate(date: Date | string): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(d.getTime())) throw new Error(`Not a date: ${String(date)}`);
  return d.toISOString().slice(0, 10);
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${rest} s`;
  return `${rest} s`;
}

function loss(x: number): string {
  return x.toFixed(4);
}

function perplexity(x: number): string {
  return Math.exp(x).toFixed(1);
}

function joinWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function cleanHandle(username: string): string {
  return username.trim().replace(/^@+/, '');
}

function optLoss(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '—' : `${loss(x)} (perplexity ${perplexity(x)})`;
}

/** The card's avatars above the bot's name, as huggingtweets' cards show them (relative: files beside README.md). */
function avatarRow(avatars: ModelCardInput['avatars']): string {
  if (!avatars?.length) return '';
  const imgs = avatars.map((a) => `<img src="${escapeHtml(encodeURI(a.file))}" alt="@${escapeHtml(cleanHandle(a.username))}" width="92" height="92" style="border-radius: 50%; margin: 0 4px; object-fit: cover;">`);
  return `\n    <div style="display: flex; justify-content: center; margin-top: 2em;">${imgs.join('')}</div>`;
}

/** The "Evaluation" section: per-person validation loss, and the seeded tweets checked for copies. */
function evaluationSection(q: CardQuality | undefined, total: { before: number; after: number }): string {
  if (!q) return '';
  const people = q.people.length
    ? [
        '| Person | Held-out tweets | Validation loss before | Validation loss after |',
        '| --- | --- | --- | --- |',
        ...q.people.map((p) => `| ${p.username ? `${escapeMarkdown(p.displayName || `@${cleanHandle(p.username)}`)} (@${escapeMarkdown(cleanHandle(p.username))})` : `${escapeMarkdown(p.displayName || 'Unnamed')} (no handle given)`} | ${p.valTweets} | ${optLoss(p.valLossBefore)} | ${optLoss(p.valLossAfter)} |`),
        `| All | | ${optLoss(total.before)} | ${optLoss(total.after)} |`,
      ].join('\n') + '\n\n'
    : '';
  const s = q.sampleSettings;
  // New tweets first: a card is published, and a copy is one of the person's own tweets.
  const shown = [...q.samples.filter((x) => !x.copy), ...q.samples.filter((x) => x.copy)].slice(0, CARD_SAMPLES).sort((a, b) => a.seed - b.seed);
  const samples = shown
    .map((x) => {
      const flag = x.copy ? ` — **copies** a training tweet${x.copy.date ? ` of ${x.copy.date.slice(0, 10)}` : ''} (${x.copy.run} words in a row)` : ' — new (copies no training tweet)';
      return `- seed ${x.seed}: ${x.text.trim() ? escapeMarkdown(x.text.trim()) : '*(empty)*'}${flag}`;
    })
    .join('\n');
  const prompt = shown[0]?.prompt ? `“${escapeMarkdown(shown[0].prompt)}”` : 'none (the bot starts the tweet itself, after `<|endoftext|>`)';
  return `## Evaluation

Validation loss is the mean next-token cross-entropy on held-out tweets, never trained on; perplexity is e^loss.

${people}**Copies: ${q.copies} of ${q.samples.length}** seeded tweets written after training copy a training tweet (a generated tweet copies one when they share a run of at least 8 consecutive words, or at least 80% of its words in a row).

${shown.length} of them (prompt: ${prompt}; max ${s.maxNewTokens} new tokens, temperature ${s.temperature}, top-k ${s.topK}, top-p ${s.topP}; seeds as listed):

${samples}

`;
}

export function writeModelCard(input: ModelCardInput): string {
  const { training: t } = input;
  const handles = input.usernames.map(cleanHandle);
  const modelId = input.modelId ? slugify(input.modelId) : slugify(input.botName);
  const base = input.baseModel;
  const networks = handles.map((_, i) => input.stats[i]?.network ?? 'x');
  const ids = handles.map((_, i) => input.stats[i]?.accountId ?? '');
  const onlyX = networks.every((n) => n === 'x');
  const names = handles.map((h, i) => handleOf(networks[i], h, ids[i]));
  const mdNames = names.map((name) => escapeMarkdown(name));
  const link = (i: number) => {
    const url = profileUrl(networks[i], handles[i], ids[i]);
    return url ? `[${mdNames[i]}](${url})` : mdNames[i];
  };
  const posts = onlyX ? 'tweets' : 'posts';
  const possessive = handles.length === 1 ? `${mdNames[0]}'s ${posts}` : `the ${posts} of ${joinWords(mdNames)}`;
  const readFrom = onlyX
    ? `The Twitter/X archive of ${joinWords(handles.map((_, i) => link(i)))} was read in the browser; retweets and very short tweets were set aside`
    : `${joinWords(handles.map((_, i) => `the ${EXPORT_NAME[networks[i]]} of ${link(i)}`)).replace(/^t/, 'T')} ${handles.length === 1 ? 'was' : 'were'} read in the browser (${joinWords(unique(networks.map((n) => NETWORK_NAME[n])))}); retweets, reposts, boosts, direct messages and very short posts were set aside`;

  const postsWord = unique(networks.map((n) => POSTS_WORD[n])).join(' / ');
  const row = (label: string, cell: (p: PersonStats) => string) => `| ${label} | ${input.stats.map(cell).join(' | ')} |`;
  const dataTable = [
    row('Data', (p) => escapeMarkdown(p.displayName || `@${cleanHandle(p.username)}`)),
    `| --- | ${input.stats.map(() => '---').join(' | ')} |`,
    ...(onlyX ? [] : [row('Network', (p) => NETWORK_NAME[p.network ?? 'x'])]),
    row(`${postsWord} downloaded`, (p) => String(p.downloaded)),
    row(unique(networks.map((n) => SHARED_WORD[n])).join(' / '), (p) => String(p.retweets)),
    row(`Short ${postsWord.toLowerCase()}`, (p) => String(p.short)),
    row(`${postsWord} kept`, (p) => String(p.kept)),
    ...(input.stats.some((p) => (p.direct ?? 0) > 0) ? [row('Direct messages skipped', (p) => String(p.direct ?? 0))] : []),
  ].join('\n');

  const method =
    t.mode === 'lora'
      ? `LoRA (low-rank adapters, rank ${t.loraRank ?? '?'}), merged into the weights for export`
      : 'Full fine-tuning (every weight trained)';

  const procedureTable = [
    '| Setting | Value |',
    '| --- | --- |',
    `| Method | ${method} |`,
    `| Epochs | ${t.epochs} |`,
    `| Steps | ${t.steps} |`,
    `| Learning rate | ${t.lr.toExponential()} |`,
    `| Batch size | ${t.batch} |`,
    `| Block size | ${t.blockSize} tokens |`,
    `| Validation loss before | ${loss(t.valLossBefore)} (perplexity ${perplexity(t.valLossBefore)}) |`,
    `| Validation loss after | ${loss(t.valLossAfter)} (perplexity ${perplexity(t.valLossAfter)}) |`,
    ...(t.keptStep !== undefined && t.keptStep !== null ? [`| Kept weights | step ${t.keptStep} (the lowest validation loss) |`] : []),
    ...(t.stopReason ? [`| Why training stopped | ${escapeMarkdown(t.stopReason)} |`] : []),
    `| Final training loss | ${loss(t.trainLoss)} |`,
    `| Training time | ${formatDuration(t.seconds)} (${Math.round(t.seconds)} s) on the ${escapeMarkdown(t.backend)} backend |`,
    `| Date | ${isoDate(input.date)} |`,
  ].join('\n');

  const languages = input.languages ?? [];
  const languageLine = languages.length === 0 ? '' : languages.length === 1 ? `language: ${languages[0]}\n` : `language:\n${languages.map((l) => `- ${l}`).join('\n')}\n`;
  // The bot's name is shown only when it says more than the handles above it.
  const botNameRepeats = handles.includes(cleanHandle(input.botName)) || input.botName === [...handles].sort().join('-');
  const botNameLine = botNameRepeats ? '' : `\n    <div style="text-align: center; font-size: 14px;">${escapeHtml(input.botName)}</div>`;

  return `---
${languageLine}thumbnail: ${input.thumbnail ?? DEFAULT_THUMBNAIL}
tags:
- huggingtweets
- tweetgpt
base_model: ${JSON.stringify(base)}
pipeline_tag: text-generation
widget:
- text: "My dream is"
---

<div class="inline-flex flex-col" style="line-height: 1.5;">${avatarRow(input.avatars)}
    <div style="text-align: center; margin-top: ${input.avatars?.length ? '1em' : '3em'}; font-size: 16px; font-weight: 800">🤖 AI BOT 🤖</div>
    <div style="text-align: center; font-size: 16px; font-weight: 800">${escapeHtml(input.displayNames.join(' & '))}</div>
    <div style="text-align: center; font-size: 14px;">${escapeHtml(names.join(' & '))}</div>${botNameLine}
</div>

I was made with tweetgpt, which follows [huggingtweets](${HUGGINGTWEETS}) but runs entirely in a web browser: the ${posts} never left the computer they were read on.

## How does it work?

${readFrom}, and the kept ${posts} were split into training and validation sets. A pre-trained GPT-2 (\`${escapeMarkdown(base)}\`) was then fine-tuned on them with TensorFlow.js (${escapeMarkdown(t.backend)} backend), on the same machine.

## Training data

The model was trained on ${possessive}.

${dataTable}

## Training procedure

The model is based on a pre-trained [GPT-2](https://huggingface.co/${base.split('/').map(encodeURIComponent).join('/')}) which is fine-tuned on ${possessive} for ${t.epochs} epoch${t.epochs === 1 ? '' : 's'} (${t.steps} steps).

${procedureTable}

${evaluationSection(input.quality, { before: t.valLossBefore, after: t.valLossAfter })}## How to use

You can use this model directly with a pipeline for text generation (give \`model=\` the folder you unzipped, or the hub id you uploaded it as):

\`\`\`python
from transformers import pipeline
generator = pipeline('text-generation', model='${modelId}')
generator("My dream is", num_return_sequences=5)
\`\`\`

${transformersJsUsage(modelId)}
${t.mode === 'lora' ? loraUsage(base) + '\n' : '\n'}With llama.cpp, Ollama or LM Studio, take the bot's \`.gguf\` from tweetgpt's model library (*GGUF f32* or *GGUF Q8_0*): \`llama-cli -m ${modelId}-q8_0.gguf -p "My dream is"\`, or an Ollama \`Modelfile\` holding \`FROM ./${modelId}-q8_0.gguf\` (then \`ollama create ${modelId} -f Modelfile\`).

## Limitations and bias

The model suffers from [the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias).

In addition, the data present in the user's ${posts} further affects the text generated by the model. What it writes was not written by ${joinWords(mdNames)}: do not present it as their words.
`;
}

/** transformers.js runs the zip's onnx/ files (8-bit by default; fp32 with quantized: false). */
function transformersJsUsage(modelId: string): string {
  return `In JavaScript, in a web page or Node, [transformers.js](https://huggingface.co/docs/transformers.js) runs the ONNX files in \`onnx/\`: \`model_quantized.onnx\` (8-bit weights, about a quarter of the size) by default, \`model.onnx\` (fp32, the same numbers as the weights above) with \`quantized: false\`. \`model_file_name: 'model'\` is needed: transformers.js 2.x otherwise looks for \`decoder_model_merged.onnx\`.

\`\`\`js
import { pipeline, env } from '@xenova/transformers';
// The unzipped folder served by your site as /models/${modelId}/ (or upload it to the hub and skip these two lines):
env.localModelPath = '/models/';
env.allowRemoteModels = false;
const generator = await pipeline('text-generation', '${modelId}', { model_file_name: 'model' });
const [{ generated_text }] = await generator('My dream is', { max_new_tokens: 40, do_sample: true, top_k: 50 });
\`\`\`
`;
}

/** For a LoRA bot: the same bot as a small PEFT adapter on its base (the library's "Export LoRA adapter"). */
function loraUsage(base: string): string {
  return `
This bot was fine-tuned with LoRA, so it also exists as a PEFT adapter of a few MB (tweetgpt's library: *Download adapter*) that goes on \`${escapeMarkdown(base)}\`:

\`\`\`python
from transformers import AutoModelForCausalLM
from peft import PeftModel
model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(${JSON.stringify(base)}), 'path/to/unzipped-adapter')
\`\`\`

Dropped on tweetgpt's page, that adapter brings the bot back beside ${JSON.stringify(base)} (downloaded if the page does not have it yet).
`;
}
