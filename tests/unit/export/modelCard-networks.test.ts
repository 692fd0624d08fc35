/** The model card of a bot trained on X, Bluesky and Mastodon exports: networks named, profiles linked. */
import { describe, expect, it } from 'vitest';
import { profileUrl, writeModelCard, type ModelCardInput } from '../../../src/export/modelCard';

const training: ModelCardInput['training'] = {
  epochs: 1, steps: 10, lr: 5e-5, batch: 2, mode: 'full', blockSize: 64, valLossBefore: 4, valLossAfter: 3, trainLoss: 3, seconds: 12, backend: 'wasm',
};

const input: ModelCardInput = {
  botName: 'alice-alice.bsky.social-alice_m',
  displayNames: ['Alice X', 'Alice Sky', 'Alice M'],
  usernames: ['alice', 'alice.bsky.social', 'alice_m'],
  stats: [
    { username: 'alice', displayName: 'Alice X', network: 'x', accountId: '12345', downloaded: 100, retweets: 10, short: 5, kept: 85, direct: 0 },
    { username: 'alice.bsky.social', displayName: 'Alice Sky', network: 'bluesky', accountId: 'did:plc:abc', downloaded: 50, retweets: 4, short: 6, kept: 40, direct: 0 },
    { username: 'alice_m', displayName: 'Alice M', network: 'mastodon', accountId: 'https://example.social/users/alice_m', downloaded: 70, retweets: 7, short: 3, kept: 60, direct: 12 },
  ],
  baseModel: 'openai-community/gpt2',
  training,
  date: new Date('2026-01-02T00:00:00Z'),
};

describe('writeModelCard with several networks', () => {
  const card = writeModelCard(input);

  it('names each network and links each profile', () => {
    expect(card).toContain('[@alice](https://twitter.com/alice)');
    expect(card).toContain('[@alice.bsky.social](https://bsky.app/profile/alice.bsky.social)');
    expect(card).toContain('[@alice\\_m@example.social](https://example.social/users/alice_m)');
    expect(card).toContain('The Twitter/X archive of [@alice]');
    expect(card).toContain('the Bluesky repository export of [@alice.bsky.social]');
    expect(card).toContain('the Mastodon archive of [@alice\\_m@example.social]');
    expect(card).toContain('(X, Bluesky and Mastodon)');
  });

  it('uses each network\'s words in the data table and shows the direct messages skipped', () => {
    expect(card).toContain(
      [
        '| Data | Alice X | Alice Sky | Alice M |',
        '| --- | --- | --- | --- |',
        '| Network | X | Bluesky | Mastodon |',
        '| Tweets / Posts downloaded | 100 | 50 | 70 |',
        '| Retweets / Reposts / Boosts | 10 | 4 | 7 |',
        '| Short tweets / posts | 5 | 6 | 3 |',
        '| Tweets / Posts kept | 85 | 40 | 60 |',
        '| Direct messages skipped | 0 | 0 | 12 |',
      ].join('\n'),
    );
  });

  it('links a Bluesky export whose handle was never typed by its DID', () => {
    expect(profileUrl('bluesky', '', 'did:plc:z72i7hdynmk6r22z27h6tvur')).toBe('https://bsky.app/profile/did%3Aplc%3Az72i7hdynmk6r22z27h6tvur');
    const one = writeModelCard({ ...input, usernames: [''], displayNames: ['Sky'], stats: [{ ...input.stats[1], username: '', accountId: 'did:plc:abc' }] });
    expect(one).toContain('[did:plc:abc](https://bsky.app/profile/did%3Aplc%3Aabc)');
    expect(one).toContain("did:plc:abc's posts");
  });
});
