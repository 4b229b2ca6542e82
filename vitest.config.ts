import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Kernel tests create network namespaces and send real packets; they get generous time.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
