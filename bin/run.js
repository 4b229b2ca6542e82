#!/usr/bin/env node
// Production entry: loads the compiled commands from dist/.
// execute() rather than run(): it flushes output and formats errors with their exit code instead of
// leaving a rejected promise (toolchain.md 1.5e).
import { existsSync } from 'node:fs';
import { execute } from '@oclif/core';

// Without dist/ oclif would only say "command trace not found", which sends people looking in the wrong place.
if (!existsSync(new URL('../dist/commands', import.meta.url))) {
  process.stderr.write('knetdbg: dist/ is missing: run `npm run build` first (or use bin/dev.js, which runs src/)\n');
  process.exit(1);
}

await execute({ dir: import.meta.url });
