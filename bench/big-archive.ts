/**
 * The benchmark's big archive (Node side): a synthetic Twitter/X export of 100,000 tweets made
 * with the tests' archive builder — words drawn from a fixed list, 3 to 40 of them, some replies,
 * links, hashtags, retweets and short tweets, as the cleaner meets in real archives. Written once
 * into .tmp/bench-archive and reused while its stamp matches.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../src/random';
import { buildArchive, type SyntheticTweet } from '../tests/helpers/archives';

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when ' +
  'your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into ' +
  'time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come ' +
  'made may part coffee morning tonight weekend music game team love great today really think know good new just want need thanks happy ' +
  'city train rain sun build code ship bug fix launch release read book film show talk idea week year friends family home work office'
).split(' ');

export const BIG_ARCHIVE_TWEETS = 100_000;

function syntheticTweets(n: number, seed: number): SyntheticTweet[] {
  const rand = mulberry32(seed);
  const pick = () => WORDS[Math.floor(rand() * WORDS.length)];
  const start = Date.UTC(2015, 0, 1);
  const out: SyntheticTweet[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    const length = r < 0.05 ? 2 : 3 + Math.floor(rand() * 38);
    let text = Array.from({ length }, pick).join(' ');
    if (rand() < 0.1) text += ` #${pick()}`;
    if (rand() < 0.05) text += ` https://t.co/${Math.floor(rand() * 1e9).toString(36)}`;
    if (rand() < 0.03) text = `RT @someone: ${text}`;
    const tweet: SyntheticTweet = { id: String(1_500_000_000_000_000_000n + BigInt(i)), text, createdAt: new Date(start + i * 3_600_000) };
    if (rand() < 0.1) tweet.reply = `friend${Math.floor(rand() * 50)}`;
    out.push(tweet);
  }
  return out.reverse(); // newest first, as exports list them
}

/** The zip's path (`tweets` tweets), written when missing or made with other settings. */
export async function prepareBigArchive(dir: string, progress: (line: string) => void, tweets = BIG_ARCHIVE_TWEETS): Promise<string> {
  const file = join(dir, `twitter-${tweets}.zip`);
  const stampFile = join(dir, `twitter-${tweets}.stamp.json`);
  const stamp = JSON.stringify({ tweets, seed: 1, version: 1 });
  if (existsSync(file) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return file;
  progress(`writing a synthetic ${tweets.toLocaleString('en-US')}-tweet archive`);
  mkdirSync(dir, { recursive: true });
  const zip = await buildArchive({ username: 'bench', displayName: 'Bench', tweets: syntheticTweets(tweets, 1), parts: tweets > 10_000 ? 2 : 1 });
  writeFileSync(file, zip);
  writeFileSync(stampFile, stamp);
  return file;
}
