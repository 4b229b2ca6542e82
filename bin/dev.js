#!/usr/bin/env node
// Development entry: runs the TypeScript in src/ directly, through tsx (pinned to 4.23.14, toolchain.md 1.5b).
//
// We register tsx ourselves and point oclif at ./src/commands instead of relying on oclif's automatic
// dist→src mapping, because that mapping reads tsconfig.json's rootDir, which is "." here (the type-check
// config covers src/, test/ and bench/): oclif then looks for ./commands, warns, and silently runs the
// compiled dist/ instead (or nothing). Doing it explicitly also turns a broken tsx into a loud failure
// rather than the silent fallback to stale dist/ described in toolchain.md 1.5b.
//
// We do not pass `development: true` to execute(): that sets oclif's settings.debug, which prints a stack
// trace for every user error (bad file, bad flag), and the dev path must behave like the real CLI.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { execute, settings } from '@oclif/core';

register();
settings.enableAutoTranspile = false;
const root = new URL('..', import.meta.url);
const pjson = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
pjson.oclif = { ...pjson.oclif, commands: './src/commands' };

await execute({ loadOptions: { root: fileURLToPath(root), pjson } });
