import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // bench/test checks the benchmark kit itself (generator hashes, probabilities, determinism).
    include: ['test/**/*.test.ts', 'bench/test/**/*.test.mjs'],
    // Kernel tests create network namespaces and send real packets; they get generous time.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
