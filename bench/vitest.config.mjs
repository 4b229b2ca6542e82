// The benchmark kit's own tests (plain ESM, like the kit): `npx vitest run --config bench/vitest.config.mjs`.
// Kept apart from the root config, whose suite is test/**/*.test.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.mjs'],
    testTimeout: 60_000,
  },
});
