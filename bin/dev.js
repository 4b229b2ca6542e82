#!/usr/bin/env node
// Development entry: runs src/ directly. With NODE_ENV=development oclif maps ./dist/commands to
// ./src/commands and registers tsx from devDependencies itself (toolchain.md 1.5b; tsx is pinned to
// 4.23.14 because 4.23.15 makes oclif fall back to dist/ silently).
// We do not pass `development: true` to execute(): that also sets oclif's settings.debug, which prints a
// stack trace for every user error (bad file, bad flag), and the dev path must behave like the real CLI.
// Set DEBUG=* to see stacks.
import { execute } from '@oclif/core';

process.env.NODE_ENV ??= 'development';
await execute({ dir: import.meta.url });
