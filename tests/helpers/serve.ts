/** `npm run serve`: the built page on http://127.0.0.1:4173 (or $PORT), with the test model host at /hf. */
import { startSite } from './site';

const site = await startSite({ port: Number(process.env.PORT ?? 4173) });
console.log(`tweetgpt: ${site.url}  (test model host: ${site.url}?host=/hf, repo test/tiny-gpt2)`);
