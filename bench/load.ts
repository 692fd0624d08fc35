/**
 * Loading a model as the page does: `fetchModelFiles` (IndexedDB when it holds the model, else
 * the model host, storing each file) then `loadGPT2`. Run once for a first visit and once, in a
 * fresh worker, for a return visit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fetchModelFiles } from '../src/hub/load';
import { openStore } from '../src/hub/store';
import { loadGPT2 } from '../src/model';
import type { Log } from './measure';
import { PROBE_TENSOR, PROBE_VALUES, type LoadFigures } from './protocol';

export const BENCH_DB = 'tweetgpt-bench';

export async function measureLoad(repo: string, host: string, log: Log): Promise<LoadFigures> {
  const store = await openStore({ name: BENCH_DB });
  try {
    const t0 = performance.now();
    let lastLog = 0;
    const files = await fetchModelFiles(repo, {
      store,
      host,
      onProgress: (file, p) => {
        const t = performance.now();
        if (t - lastLog > 2000 || p.loaded === p.total) {
          lastLog = t;
          log(`load: ${file} ${(p.loaded / 1e6).toFixed(0)}${p.total ? ` / ${(p.total / 1e6).toFixed(0)}` : ''} MB`);
        }
      },
    });
    const filesMs = performance.now() - t0;
    const b0 = performance.now();
    const model = await loadGPT2(files);
    const buildMs = performance.now() - b0;
    try {
      const probe = tf.tidy(() => tf.slice(tf.reshape(model.params[PROBE_TENSOR], [-1]), [0], [PROBE_VALUES]));
      const values = Array.from(await probe.data());
      probe.dispose();
      return {
        filesMs,
        buildMs,
        totalMs: filesMs + buildMs,
        bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
        files: Object.keys(files),
        persistent: store.persistent,
        probe: values,
      };
    } finally {
      model.dispose();
    }
  } finally {
    store.close();
  }
}
