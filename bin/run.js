#!/usr/bin/env node
// Production entry: the bundled CLI in dist/bundle/ (scripts/bundle.mjs), oclif included, commands by
// oclif's explicit strategy (package.json "oclif.commands").
// execute() rather than run(): it flushes output and formats errors with their exit code instead of
// leaving a rejected promise (toolchain.md 1.5e).
import { existsSync } from 'node:fs';

// Without the build oclif would only say "command trace not found", which sends people looking in the wrong place.
if (!existsSync(new URL('../dist/bundle/index.js', import.meta.url))) {
  process.stderr.write('knetdbg: dist/ is missing: run `npm run build` first (or use bin/dev.js, which runs src/)\n');
  process.exit(1);
}

const { execute } = await import('../dist/bundle/index.js');
await execute({ dir: import.meta.url });
