/**
 * fast-check parameters for the fuzz suites: a fixed seed and bounded runs in CI; a longer run
 * (or another seed) with `FUZZ_SCALE=50 FUZZ_SEED=7 npx vitest run tests/unit/*\/fuzz.test.ts`.
 */
export function fuzzParams(numRuns: number, seed: number): { seed: number; numRuns: number } {
  const scale = Number(process.env.FUZZ_SCALE ?? 1);
  return { seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : seed, numRuns: Math.max(1, Math.round(numRuns * scale)) };
}
