import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files first, so that two at a time finish together (durations on the 2-core CI
 * machine, run one at a time: firefox ~200 s, parity ~130 s, access ~80 s, webkit ~80 s,
 * faults ~70 s, webgl ~65 s); the rest in vitest's own order.
 */
const LONGEST = ['firefox', 'parity', 'access', 'webkit', 'faults', 'webgl', 'copies', 'train', 'first-minutes'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((name) => f.moduleId.endsWith(`/${name}.e2e.ts`));
      return i < 0 ? LONGEST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// End-to-end: the built page in Debian's Chromium, Firefox ESR and WebKitGTK. Two files at a time
// on the 2-core machine (each drives a real browser; much of a browser test is waiting), which
// keeps the whole `bash .ci/run` under its 20 minutes. Nothing rebuilds dist/ meanwhile: serve.sh
// builds only when the sources changed (scripts/build-stamp.ts), and `npm test` builds first.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    // A page's update after a worker message can take more than vitest's default 1 s on a busy machine.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    sequence: { sequencer: LongestFirst },
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
  },
});
