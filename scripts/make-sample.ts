/**
 * Writes public/sample/sample-archive.zip: a synthetic Twitter/X archive of a clearly fictional
 * persona, @tinkerbot_sample, a cheerful home baker and gardener, so the page can be tried
 * without a real archive. ~400 tweets made from templates with a seeded generator (so the zip is
 * the same on every run): retweets, short tweets, replies, links, hashtags, one long note tweet,
 * and a few entries the reader must ignore (likes, DMs, one media file).
 *
 *   npx tsx scripts/make-sample.ts
 * (tests/unit/archive/sample.test.ts checks the committed zip is what this writes.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkTrainingText, readArchive } from '../src/archive/index';
import { buildArchive, ytdFile, type SyntheticTweet } from '../tests/helpers/archives';
import { mulberry32 } from '../src/random';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'sample', 'sample-archive.zip');

const SEED = 0x7ea5;
// Reset at the start of each build, so every build of the sample is byte-identical.
let random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

const FRIENDS = ['fern_and_flour_sample', 'crumb_club_sample', 'potting_shed_sample', 'rhubarb_rita_sample'];
const BAKES = ['sourdough', 'focaccia', 'rye loaf', 'cinnamon buns', 'banana bread', 'seeded bagels', 'lemon drizzle', 'oat cookies', 'brioche', 'apple galette', 'soda bread', 'pretzels', 'scones', 'olive fougasse', 'carrot cake'];
const FLOURS = ['spelt', 'einkorn', 'wholemeal', 'strong white', 'rye', 'oat'];
const PLANTS = ['tomatoes', 'courgettes', 'runner beans', 'sweet peas', 'basil', 'rhubarb', 'strawberries', 'sunflowers', 'chillies', 'lettuces', 'potatoes', 'rosemary', 'marigolds', 'kale'];
const HERBS = ['thyme', 'rosemary', 'sage', 'dill', 'chives', 'mint'];
const TIMES = ['six', 'half five', 'seven', 'dawn', 'ten at night', 'midnight'];
const CRUMB = ['open and glossy', 'tight but soft', 'wonderfully wobbly', 'a bit dense', 'honestly perfect', 'chaotic in a good way'];
const CRUST = ['crackly', 'deep amber', 'a little pale', 'blistered', 'shatteringly crisp', 'chewy'];
const WEATHER = ['drizzly', 'windy', 'bright and cold', 'muggy', 'grey', 'gloriously sunny', 'frosty'];
const CREATURES = ['a robin', 'the neighbour’s cat', 'a very bold snail', 'two sparrows', 'a hedgehog', 'a bumblebee the size of a grape'];
const FEELINGS = ['delighted', 'smug', 'quietly proud', 'covered in flour', 'slightly overwhelmed', 'very happy'];
const CLOSERS = ['', '', '', ' 🌱', ' 🍞', ' Worth it.', ' Ten out of ten.', ' Small joys.', ' #sourdough', ' #gardening', ' #homebaking', ' Will report back.', ' Onwards!'];

const normalTemplates: Array<() => string> = [
  () => `Fed the starter at ${pick(TIMES)} and it doubled by lunch. ${cap(pick(BAKES))} tonight, I think.`,
  () => `Tried ${pick(FLOURS)} flour in the ${pick(BAKES)} today. The crumb was ${pick(CRUMB)} and the crust ${pick(CRUST)}.`,
  () => `The ${pick(PLANTS)} finally showed up after ${between(5, 21)} days of me staring at bare soil. I may have cheered out loud.`,
  () => `${cap(pick(WEATHER))} morning, so the ${pick(PLANTS)} got a drink and I got to stay in and bake ${pick(BAKES)}.`,
  () => `Note to self: ${pick(PLANTS)} do not enjoy being moved. I apologised to them twice and they are still sulking.`,
  () => `Swapped butter for olive oil in the ${pick(BAKES)} and nobody noticed. Or they were being very polite about it.`,
  () => `Garden visitor of the day: ${pick(CREATURES)}, inspecting the ${pick(PLANTS)} like a tiny health inspector.`,
  () => `Day ${between(2, 40)} of trying to master ${pick(BAKES)}: ${pick(['getting closer', 'one step forward, two loaves back', 'the oven and I have reached an understanding', 'still more enthusiasm than skill', 'today it actually worked'])}.`,
  () => `Picked the first ${pick(PLANTS)} of the year and carried them inside like a trophy. Feeling ${pick(FEELINGS)}.`,
  () => `If you put ${pick(HERBS)} in ${pick(BAKES)} nobody can stop you. I checked. There is no law.`,
  () => `The kitchen smells of ${pick(BAKES)} and the windowsill is full of seedlings. This is the whole plan for the weekend.`,
  () => `Lesson learned: a ${pick(['hotter', 'gentler', 'longer', 'shorter'])} bake makes ${pick(BAKES)} much ${pick(['better', 'crispier', 'softer', 'more forgiving'])}. Writing it on the fridge so I remember.`,
  () => `Mulched the ${pick(PLANTS)}, weeded around the ${pick(PLANTS)}, and talked to the ${pick(PLANTS)} for far too long.`,
  () => `Shaped ${between(2, 6)} loaves before breakfast. Two look like bread, one looks like a hat, the rest are between.`,
  () => `The compost heap is warm today, which means it is working, which means I am weirdly proud of a pile of peelings.`,
  () => `Baking rule I live by: weigh everything, trust the dough, and never open the oven just to look. Okay, sometimes to look.`,
  () => `Saved seeds from the ${pick(PLANTS)} into little paper envelopes and labelled them in my best handwriting. Future me will be thrilled.`,
  () => `${cap(pick(WEATHER))} out there. Perfect weather for ${pick(BAKES)} and a cup of tea while the ${pick(PLANTS)} do their thing.`,
  () => `Gave a loaf of ${pick(BAKES)} to the neighbours and got a jar of ${pick(['plum jam', 'chutney', 'honey', 'pickles'])} back. Best trade of the year.`,
  () => `Potting up seedlings: ${between(12, 60)} tiny pots of ${pick(PLANTS)} on every flat surface. The cat is not impressed.`,
];
const FOLLOW_UPS = [
  'The kitchen is a mess but a happy one.',
  'Tea first, then the washing up. Maybe.',
  'Photos to follow once I stop eating it.',
  'Next time I will write down what I did.',
  'The garden notebook grows another page.',
  'Tomorrow: more of the same, hopefully.',
  'Small wins count double on a Tuesday.',
];
const replyTemplates: Array<() => string> = [
  () => `that looks amazing, what hydration did you use for it?`,
  () => `mine did exactly the same thing last spring. More sun and less water fixed it.`,
  () => `yes please, save me a slice and I will bring some ${pick(PLANTS)} over on Saturday.`,
  () => `honestly a little ${pick(HERBS)} makes it. Try a pinch more next time and tell me how it goes.`,
  () => `I think the oven runs hot, try ten degrees lower and a tray of water underneath.`,
  () => `that is the best looking ${pick(BAKES)} I have seen all week, well done!`,
];
const shortTemplates: Array<() => string> = [
  () => 'so good!',
  () => 'morning, garden!',
  () => 'bread. 🍞',
  () => `@${pick(FRIENDS)} yes!`,
  () => `@${pick(FRIENDS)} ha, same`,
  () => '#sourdough #baking #bread',
  () => `look: https://example.com/p/${between(100, 999)}`,
  () => 'first tomato!!',
];

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '');
}

const LONG_NOTE =
  'A small love letter to my sourdough starter, who turns five this week. ' +
  'You began as a jar of flour and water on a cold windowsill, and for the first ten days you did nothing but smell like old socks. ' +
  'I nearly gave up on you twice. Then one morning you had bubbles, and I danced around the kitchen in my dressing gown. ' +
  'Since then you have made hundreds of loaves, a few hundred pancakes, several pizzas, one disastrous attempt at crumpets, ' +
  'and a birthday cake that nobody believed was sourdough. You have survived a house move, a heatwave, two weeks of neglect while I was away, ' +
  'and the day I accidentally put you in the fridge without a lid. You are more reliable than the weather and more patient than I am. ' +
  'Here is to five more years of feeding you at strange hours and telling everyone who visits that yes, the jar on the counter is alive. ' +
  'Happy birthday, Bubbles. The loaf tonight is for you.';

// Snowflake ids: the creation time, shifted by 22 bits, past Twitter's epoch.
const SNOWFLAKE_EPOCH = 1288834974657n;
function snowflake(time: number, sequence: number): string {
  return ((BigInt(time) - SNOWFLAKE_EPOCH) * 2n ** 22n + BigInt(sequence)).toString();
}

function makeTweets(): SyntheticTweet[] {
  const tweets: SyntheticTweet[] = [];
  const start = Date.UTC(2019, 2, 1);
  const end = Date.UTC(2023, 9, 31);
  const count = 400;
  for (let i = 0; i < count; i++) {
    const time = Math.floor((start + ((end - start) * (i + random() * 0.8)) / count) / 1000) * 1000;
    const createdAt = new Date(time);
    const id = snowflake(time, i);
    const roll = random();
    let tweet: SyntheticTweet;
    if (i === 233) {
      tweet = { id, createdAt, text: LONG_NOTE, long: true };
    } else if (roll < 0.08) {
      const friend = pick(FRIENDS);
      tweet = { id, createdAt, text: `RT @${friend}: ${pick(normalTemplates)()}` };
    } else if (roll < 0.15) {
      tweet = { id, createdAt, text: pick(shortTemplates)() };
    } else if (roll < 0.28) {
      tweet = { id, createdAt, text: pick(replyTemplates)(), reply: pick(FRIENDS) };
    } else if (roll < 0.36) {
      const bake = pick(BAKES);
      tweet = { id, createdAt, text: `Wrote up how I make ${bake} at home, with all my mistakes included: https://example.com/recipes/${slug(bake)}${pick(CLOSERS)}` };
    } else {
      const followUp = random() < 0.35 ? ` ${pick(FOLLOW_UPS)}` : '';
      tweet = { id, createdAt, text: `${pick(normalTemplates)()}${followUp}${pick(CLOSERS)}` };
    }
    tweets.push(tweet);
  }
  return tweets;
}

// A 1x1 transparent PNG: stands in for the media a real archive carries, which the reader skips.
const PNG_1X1 = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='),
  (c) => c.charCodeAt(0),
);

/** The sample archive's bytes (the same on every call). */
export async function makeSampleArchive(): Promise<Uint8Array<ArrayBuffer>> {
  random = mulberry32(SEED);
  const tweets = makeTweets();
  const withMedia = tweets.find((t) => !t.text.startsWith('RT @') && !t.long)!;
  const zip = await buildArchive({
    username: 'tinkerbot_sample',
    displayName: 'Tinker (sample persona)',
    accountId: '1000000000000000001',
    tweets,
    extraEntries: {
      [`data/tweets_media/${withMedia.id}-sample.png`]: PNG_1X1,
      'data/like.js': ytdFile('like', [{ like: { tweetId: '1', fullText: 'A liked tweet (sample data, never read).' } }]),
      'data/direct-messages.js': ytdFile('direct_messages', [{ dmConversation: { conversationId: 'sample', messages: [] } }]),
      'data/README.txt': 'Sample Twitter/X archive of a fictional persona, made by scripts/make-sample.ts for tweetgpt.\n',
    },
  });
  return zip;
}

async function main(): Promise<void> {
  const zip = await makeSampleArchive();
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, zip);

  const archive = await readArchive(new Blob([zip]));
  const check = checkTrainingText(archive.tweets);
  console.log(`${OUT}: ${zip.length} bytes`);
  console.log(`@${archive.username} (${archive.displayName}) ${archive.firstDate} .. ${archive.lastDate}`);
  console.log('stats', archive.stats, 'chars', check.chars, check.level);
  console.log('files read', archive.filesRead);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
