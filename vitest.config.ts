import { defineConfig } from 'vitest/config';

// Unit tests: Node, tfjs cpu backend. The e2e suite (tests/e2e) drives real Chromium and has its own runner.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
  },
});
