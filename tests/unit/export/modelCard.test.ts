import { describe, expect, it } from 'vitest';
import { escapeMarkdown, formatDuration, slugify, writeModelCard, type ModelCardInput } from '../../../src/export/modelCard';

const input: ModelCardInput = {
  botName: 'Alice & Bob bot',
  displayNames: ['Alice <3', 'Bob | B*'],
  usernames: ['@alice_w', 'bob'],
  stats: [
    { username: 'alice_w', displayName: 'Alice <3', downloaded: 3250, retweets: 412, short: 187, kept: 2651 },
    { username: 'bob', displayName: 'Bob | B*', downloaded: 977, retweets: 30, short: 45, kept: 902 },
  ],
  baseModel: 'openai-community/gpt2',
  training: {
    epochs: 4,
    steps: 1130,
    lr: 5e-5,
    batch: 8,
    mode: 'lora',
    loraRank: 8,
    blockSize: 128,
    valLossBefore: 4.123456,
    valLossAfter: 3.2,
    trainLoss: 2.98766,
    seconds: 3725.4,
    backend: 'webgpu',
  },
  date: new Date('2026-03-14T15:09:26Z'),
  languages: ['en'],
};

describe('writeModelCard', () => {
  const card = writeModelCard(input);

  it('starts with the huggingtweets front matter', () => {
    expect(card.startsWith('---\nlanguage: en\nthumbnail: https://')).toBe(true);
    const front = card.slice(0, card.indexOf('\n---\n', 4) + 5);
    expect(front).toContain('tags:\n- huggingtweets\n');
    expect(front).toContain('base_model: "openai-community/gpt2"\n');
    expect(front).toContain('widget:\n- text: "My dream is"\n---\n');
  });

  it('has the banner with escaped names and the expected sections in order', () => {
    expect(card).toContain('🤖 AI BOT 🤖');
    expect(card).toContain('>Alice &#60;3 &#38; Bob | B*</div>');
    expect(card).toContain('>@alice_w &#38; @bob</div>');
    const order = ['## How does it work?', '## Training data', '## Training procedure', '## How to use', '## Limitations and bias'].map((h) =>
      card.indexOf(h),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('fills the training-data table with the exact figures', () => {
    expect(card).toContain(
      [
        '| Data | Alice \\<3 | Bob \\| B\\* |',
        '| --- | --- | --- |',
        '| Tweets downloaded | 3250 | 977 |',
        '| Retweets | 412 | 30 |',
        '| Short tweets | 187 | 45 |',
        '| Tweets kept | 2651 | 902 |',
      ].join('\n'),
    );
    expect(card).toContain('The model was trained on the tweets of @alice\\_w and @bob.');
  });

  it('states the training procedure from the run', () => {
    expect(card).toContain('fine-tuned on the tweets of @alice\\_w and @bob for 4 epochs (1130 steps).');
    expect(card).toContain('| Method | LoRA (low-rank adapters, rank 8), merged into the weights for export |');
    expect(card).toContain('| Learning rate | 5e-5 |');
    expect(card).toContain('| Batch size | 8 |');
    expect(card).toContain('| Block size | 128 tokens |');
    expect(card).toContain('| Validation loss before | 4.1235 (perplexity 61.8) |');
    expect(card).toContain('| Validation loss after | 3.2000 (perplexity 24.5) |');
    expect(card).toContain('| Final training loss | 2.9877 |');
    expect(card).toContain('| Training time | 1 h 2 min (3725 s) on the webgpu backend |');
    expect(card).toContain('| Date | 2026-03-14 |');
    expect(card).toContain('[GPT-2](https://huggingface.co/openai-community/gpt2)');
  });

  it('shows how to use it with a pipeline', () => {
    expect(card).toContain(
      "```python\nfrom transformers import pipeline\ngenerator = pipeline('text-generation', model='alice-bob-bot')\ngenerator(\"My dream is\", num_return_sequences=5)\n```",
    );
    expect(writeModelCard({ ...input, modelId: 'me/Alice Bot' })).toContain("model='me/alice-bot'");
  });

  it("a LoRA bot's card also says how to load its adapter with PEFT; a full fine-tune's does not", () => {
    expect(card).toContain(`PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("openai-community/gpt2"), 'path/to/unzipped-adapter')`);
    expect(card).toContain('*Download adapter*');
    const full = writeModelCard({ ...input, training: { ...input.training, mode: 'full', loraRank: undefined } });
    expect(full).not.toContain('PeftModel');
  });

  it('describes full fine-tuning and a single person', () => {
    const one = writeModelCard({
      ...input,
      displayNames: ['Alice'],
      usernames: ['alice'],
      stats: [input.stats[0]],
      training: { ...input.training, mode: 'full', loraRank: undefined, epochs: 1, seconds: 42 },
    });
    expect(one).toContain('| Method | Full fine-tuning (every weight trained) |');
    expect(one).toContain("The model was trained on @alice's tweets.");
    expect(one).toContain("fine-tuned on @alice's tweets for 1 epoch (1130 steps).");
    expect(one).toContain('| Data | Alice \\<3 |\n| --- | --- |\n| Tweets downloaded | 3250 |');
    expect(one).toContain('| Training time | 42 s (42 s) on the webgpu backend |');
  });
});

describe('helpers', () => {
  it('escapes markdown and keeps names on one line', () => {
    expect(escapeMarkdown('a_b *c* [d](e) | f\n#g & h')).toBe('a\\_b \\*c\\* \\[d\\]\\(e\\) \\| f \\#g &amp; h');
  });
  it('slugifies and formats durations', () => {
    expect(slugify('Émile & Zoë!')).toBe('emile-zoe');
    expect(slugify('***')).toBe('tweetgpt-bot');
    expect(formatDuration(59.6)).toBe('1 min 0 s');
    expect(formatDuration(7322)).toBe('2 h 2 min');
  });
});
