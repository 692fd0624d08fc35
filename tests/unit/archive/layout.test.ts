import { describe, expect, it } from 'vitest';
import { findArchiveFiles } from '../../../src/archive/layout';

describe('findArchiveFiles', () => {
  it('finds data/ at the root and orders parts', () => {
    const layout = findArchiveFiles([
      'Your archive.html',
      'data/tweets-part2.js',
      'data/tweets.js',
      'data/tweets-part10.js',
      'data/tweets-part1.js',
      'data/tweet-headers.js',
      'data/deleted-tweets.js',
      'data/note-tweet.js',
      'data/account.js',
      'data/manifest.js',
      'data/like.js',
      'data/tweets_media/1-a.jpg',
      'data/profile_media/1000-avatar.jpg',
      'data/profile_media/notes.txt',
    ]);
    expect(layout).toEqual({
      tweetFiles: ['data/tweets.js', 'data/tweets-part1.js', 'data/tweets-part2.js', 'data/tweets-part10.js'],
      noteFiles: ['data/note-tweet.js'],
      accountFile: 'data/account.js',
      manifestFile: 'data/manifest.js',
      avatarFile: 'data/profile_media/1000-avatar.jpg',
    });
  });
  it('finds data/ under a top folder, ignoring macOS shadows', () => {
    const layout = findArchiveFiles([
      '__MACOSX/twitter-x/data/._tweets.js',
      '__MACOSX/twitter-x/data/tweets.js',
      'twitter-x/data/._tweets.js',
      'twitter-x/data/tweet.js',
      'twitter-x/data/account.js',
    ]);
    expect(layout).toEqual({ tweetFiles: ['twitter-x/data/tweet.js'], noteFiles: [], accountFile: 'twitter-x/data/account.js', manifestFile: null, avatarFile: null });
  });
  it('prefers a folder named data, then the shallowest', () => {
    expect(findArchiveFiles(['backup/tweets.js', 'a/b/data/tweets.js', 'c/data/tweets.js'])?.tweetFiles).toEqual(['c/data/tweets.js']);
    expect(findArchiveFiles(['tweets.js'])?.tweetFiles).toEqual(['tweets.js']);
  });
  it('returns null without a tweets file', () => {
    expect(findArchiveFiles(['data/like.js', 'data/account.js'])).toBeNull();
  });
});
