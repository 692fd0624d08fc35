/** The short rule's word count for scripts written without spaces (Chinese, Japanese, Thai), on every network. */
import { describe, expect, it } from 'vitest';
import { countFreeWords, isShort, readArchive } from '../../../src/archive/index';
import { segmentWords } from '../../../src/archive/words';
import { buildArchive } from '../../helpers/archives';

describe('countFreeWords with spaceless scripts', () => {
  it('counts a Chinese, Japanese or Thai token as its word-like segments', () => {
    expect(countFreeWords('我今天很开心')).toBe(segmentWords('我今天很开心'));
    expect(countFreeWords('我今天很开心')).toBeGreaterThanOrEqual(3);
    expect(countFreeWords('今日は雨です')).toBeGreaterThanOrEqual(3);
    expect(countFreeWords('สวัสดีครับวันนี้อากาศดี')).toBeGreaterThanOrEqual(3);
    expect(isShort('今日は雨です')).toBe(false);
    expect(isShort('雨')).toBe(true);
    expect(isShort('好')).toBe(true);
  });

  it('covers kana (half-width too), CJK extension A and compatibility ideographs', () => {
    expect(countFreeWords('ｱｲｳｴｵ')).toBe(segmentWords('ｱｲｳｴｵ'));
    expect(countFreeWords('㐀')).toBe(segmentWords('㐀'));
    expect(countFreeWords('豈')).toBe(segmentWords('豈'));
    // Punctuation inside a spaceless token is not a word; a lone '。' (not in those ranges) counts as before.
    expect(countFreeWords('雨。')).toBe(1);
    expect(countFreeWords('。')).toBe(1);
  });

  it('adds the segments of each spaceless token to the other words', () => {
    expect(countFreeWords('AI模型 is fun')).toBe(segmentWords('AI模型') + 2);
    expect(countFreeWords('今日は 雨')).toBe(segmentWords('今日は') + segmentWords('雨'));
  });

  it('still drops a token with http, @ or # whatever its script', () => {
    expect(countFreeWords('@友達 #東京 https://例え.jp')).toBe(0);
    expect(countFreeWords('@友達 今日は雨です')).toBe(segmentWords('今日は雨です'));
  });

  it('counts texts without those characters exactly as before (one per whitespace token)', () => {
    expect(countFreeWords('@pal yes!')).toBe(1);
    expect(countFreeWords('nice: one two')).toBe(3);
    expect(countFreeWords('Grüße aus Köln, café crème')).toBe(5);
    expect(countFreeWords('Привет как дела')).toBe(3);
    expect(countFreeWords('don\'t-stop-me-now')).toBe(1);
  });
});

describe('a Japanese tweet in an X archive', () => {
  it('is kept by the new word count (it would have been short before) while a one-word one stays short', async () => {
    const archive = await readArchive(
      await buildArchive({
        username: 'yuki',
        tweets: [
          { id: '1600000000000000001', createdAt: '2023-01-01T00:00:00Z', text: '東京タワーに行ってきました。夜景がとてもきれいでした！' },
          { id: '1600000000000000002', createdAt: '2023-01-02T00:00:00Z', text: 'おはよう' },
          { id: '1600000000000000003', createdAt: '2023-01-03T00:00:00Z', text: 'วันนี้อากาศดีมากเลยครับ' },
          { id: '1600000000000000004', createdAt: '2023-01-04T00:00:00Z', text: 'an English one, four words' },
        ],
      }),
    );
    expect(archive.network).toBe('x');
    expect(archive.stats).toEqual({ downloaded: 4, retweets: 0, short: 1, kept: 3, direct: 0 });
    expect(archive.tweets).toEqual(['東京タワーに行ってきました。夜景がとてもきれいでした！', 'วันนี้อากาศดีมากเลยครับ', 'an English one, four words']);
  });
});
