import chalk, { Chalk, supportsColor, type ChalkInstance } from 'chalk';

/** The `--color` flag's values (same words as ls(1), grep(1) and gh use). */
export type ColorMode = 'auto' | 'always' | 'never';

/** Every way the user or the environment can turn colour on or off, gathered so the decision is testable. */
export interface ColorSituation {
  mode: ColorMode;
  /** `--json` (or any machine format): never coloured. */
  json: boolean;
  /** Whether stdout is a terminal. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * Decides whether human output is coloured. chalk 5 ignores NO_COLOR and sniffs `--color` words from
 * argv on its own (toolchain.md §3, measured), so the decision is made here and then forced on chalk.
 * Order: machine output never; an explicit --color always/never wins over the environment, as
 * no-color.org asks ("command-line arguments should override $NO_COLOR"); in auto mode a non-empty
 * NO_COLOR or TERM=dumb disables it, FORCE_COLOR (supports-color's convention) enables it, else a TTY.
 */
export function shouldColor(situation: ColorSituation): boolean {
  if (situation.json) return false;
  if (situation.mode === 'never') return false;
  if (situation.mode === 'always') return true;
  const { env } = situation;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') {
    return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  }
  if (env.TERM === 'dumb') return false;
  return situation.isTTY;
}

/**
 * The chalk level for a colour decision: off is 0; on keeps what the terminal supports (256 colours,
 * truecolor) but is at least basic 16 colours, so `--color always` into a pipe still colours.
 */
export function colorLevel(color: boolean): 0 | 1 | 2 | 3 {
  if (!color) return 0;
  const detected = supportsColor === false ? 0 : supportsColor.level;
  return detected > 0 ? detected : 1;
}

/** Sets the shared chalk instance to the decision, so nothing else in the process colours by accident. */
export function applyColorDecision(color: boolean): void {
  chalk.level = colorLevel(color);
}

/** A chalk instance for one render: renderers take a boolean and never read the global state. */
export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: colorLevel(color) });
}
