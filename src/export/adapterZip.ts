/**
 * A LoRA bot as a PEFT adapter zip: `adapter_config.json` + `adapter_model.safetensors` (as PEFT
 * writes them), a README.md saying how to load it (PEFT in Python, or this page), and tweetgpt's
 * own notes (`tweetgpt.json`) so that dropping the zip back brings the bot's name and figures.
 * And the reader that takes such a zip (or a zip of the PEFT folder) back.
 */
import { BlobReader, BlobWriter, Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter } from '@zip.js/zip.js';
import { CARD_FILE, META_FILE } from './exportZip';

export const ADAPTER_FILES = ['adapter_config.json', 'adapter_model.safetensors'] as const;

const ZIP_OPTIONS = { useWebWorkers: false } as const;

export interface AdapterZipInput {
  /** adapter_config.json and adapter_model.safetensors */
  adapter: Record<string, Uint8Array>;
  /** README.md text (writeAdapterReadme) */
  readme: string;
  /** written as tweetgpt.json when given */
  meta?: object;
}

export async function buildAdapterZip(input: AdapterZipInput): Promise<Blob> {
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  for (const name of ADAPTER_FILES) {
    const bytes = input.adapter[name];
    if (!bytes) throw new Error(`Cannot export the adapter: ${name} is missing.`);
    await writer.add(name, new Uint8ArrayReader(bytes), { ...ZIP_OPTIONS, level: name.endsWith('.safetensors') ? 0 : 6 });
  }
  await writer.add(CARD_FILE, new Uint8ArrayReader(new TextEncoder().encode(input.readme)), ZIP_OPTIONS);
  if (input.meta) await writer.add(META_FILE, new Uint8ArrayReader(new TextEncoder().encode(`${JSON.stringify(input.meta, null, 2)}\n`)), ZIP_OPTIONS);
  return writer.close();
}

/**
 * The adapter files (and tweetgpt.json's notes) of a zip, wherever one top folder puts them;
 * null when the zip holds neither adapter file (it is something else, e.g. a whole model).
 */
export async function readAdapterZip(source: Blob | Uint8Array): Promise<{ files: Record<string, Uint8Array>; meta: unknown } | null> {
  const reader = new ZipReader(source instanceof Blob ? new BlobReader(source) : new Uint8ArrayReader(source), ZIP_OPTIONS);
  try {
    let entries;
    try {
      entries = await reader.getEntries();
    } catch (err) {
      throw new Error(`This file is not a readable zip: ${(err as Error).message}`);
    }
    const wanted = new Set<string>([...ADAPTER_FILES, META_FILE]);
    const files: Record<string, Uint8Array> = {};
    let meta: unknown = null;
    for (const entry of entries) {
      if (entry.directory || entry.filename.startsWith('__MACOSX/')) continue;
      const parts = entry.filename.split('/');
      const name = parts[parts.length - 1];
      if (parts.length > 2 || !wanted.has(name)) continue;
      const bytes = await entry.getData(new Uint8ArrayWriter(), ZIP_OPTIONS);
      if (name === META_FILE) {
        try {
          meta = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          // Notes we cannot read are not worth refusing the adapter for.
        }
      } else files[name] = bytes;
    }
    return Object.keys(files).length > 0 ? { files, meta } : null;
  } finally {
    await reader.close();
  }
}

export interface AdapterReadmeInput {
  botName: string;
  baseModel: string;
  rank: number;
  alpha: number;
  targetModules: string[];
  sizeBytes: number;
}

/** The adapter zip's README: what it is and how to load it, in Python with PEFT and in this page. */
export function writeAdapterReadme(a: AdapterReadmeInput): string {
  const folder = 'path/to/unzipped-adapter';
  return `---
library_name: peft
base_model: ${a.baseModel}
tags:
- lora
- tweetgpt
---

# ${a.botName}: a LoRA adapter for ${a.baseModel}

A tweet bot fine-tuned with LoRA by tweetgpt, entirely in a web browser. This zip is not a whole model: it is the adapter alone (${(a.sizeBytes / 1e6).toFixed(1)} MB): rank ${a.rank}, lora_alpha ${a.alpha}, on
${a.targetModules.map((t) => `\`${t}\``).join(', ')}, in the format PEFT writes (\`adapter_config.json\`,
\`adapter_model.safetensors\`). It needs its base model, \`${a.baseModel}\`.

## In Python (transformers + peft)

\`\`\`python
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
from peft import PeftModel

base = AutoModelForCausalLM.from_pretrained("${a.baseModel}")
model = PeftModel.from_pretrained(base, "${folder}")   # the folder of this unzipped file
model = model.merge_and_unload()                        # optional: one plain GPT-2
tokenizer = AutoTokenizer.from_pretrained("${a.baseModel}")
generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
print(generator("My dream is", max_new_tokens=40, do_sample=True)[0]["generated_text"])
\`\`\`

## In tweetgpt

Drop this zip (or its two adapter files) on the page's model step. The bot goes into the page's
library beside \`${a.baseModel}\`, which it shares with other bots; if \`${a.baseModel}\` is not in the
library yet, the page says so and offers to download it.
`;
}
