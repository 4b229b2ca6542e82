/**
 * The CLI's entry for the bundled build (bench and production): every command, by id, for oclif's
 * "explicit" command strategy (no directory scan, one module graph), and oclif's `execute` from the same
 * bundle so the CLI loads one file instead of hundreds (toolchain.md 1.5, 2.2). `bin/dev.js` does not use
 * it: it runs src/commands through tsx.
 */
import Collect from './commands/collect.js';
import DecodeMark from './commands/decode-mark.js';
import ExplainPolicy from './commands/explain-policy.js';
import Trace from './commands/trace.js';

export const COMMANDS = {
  collect: Collect,
  'decode-mark': DecodeMark,
  'explain-policy': ExplainPolicy,
  trace: Trace,
};

export { execute } from '@oclif/core';
