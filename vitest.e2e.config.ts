import { defineConfig } from 'vitest/config';

// End-to-end: the built page in Debian Chromium (playwright-core). One file at a time: the machine
// has 2 cores and each test drives a real browser.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
  },
});
