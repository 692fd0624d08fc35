/**
 * The page on WebGL (SwiftShader GL here): the backend whose training runs our own packed
 * programs (AdamW and the clipping norm, the embedding's lookup and row gradients). Drop an
 * archive, fine-tune the fixture model, and write: the validation loss must go down, the tweet
 * must come out, and nothing may fail in the worker.
 */
import { expect, it } from 'vitest';
import { appSession, archiveZip, dropArchives, generateTweets, loadModel, openApp, person, setTrainSettings, waitTrainingMessage } from './flow';

const app = appSession({ open: false });

it('fine-tunes and writes on WebGL', async () => {
  expect(await openApp(app.page, app.site.url, { backend: 'webgl' }), 'WebGL must be available in headless Chromium').toBe('webgl');
  await dropArchives(app.page, [{ name: 'gale.zip', buffer: await archiveZip(person('gale_paints', 'Gale', 120)) }], 1);
  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { maxSteps: 6, batchSize: 2, blockSize: 32, epochs: 1, learningRate: 0.001, modelName: 'gale-webgl' });
  await app.page.click('#train-button');
  const done = await waitTrainingMessage(app.page, /^Done: validation loss/, 240_000);
  const [before, after] = /validation loss (\d+\.\d+) before → (\d+\.\d+) after/.exec(done)!.slice(1).map(Number);
  expect(after, done).toBeLessThan(before);
  expect(await app.page.locator('#train-mode').textContent()).toMatch(/Full fine-tuning/);
  const [tweet] = await generateTweets(app.page, { prompt: 'I really think', count: 1, max: 8, seed: 3 });
  expect(tweet.length).toBeGreaterThan('I really think'.length);
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
});
