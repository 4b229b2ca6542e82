#!/usr/bin/env node
// Production entry: loads the compiled commands from dist/ (run `npm run build` first).
// execute() rather than run(): it flushes output and formats errors with their exit code instead of
// leaving a rejected promise (toolchain.md 1.5e).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
