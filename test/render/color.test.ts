import { describe, expect, test } from 'vitest';
import { colorLevel, makeChalk, shouldColor, type ColorSituation } from '../../src/render/color.js';

const base: ColorSituation = { mode: 'auto', json: false, isTTY: true, env: {} };

describe('shouldColor', () => {
  test.each<[string, Partial<ColorSituation>, boolean]>([
    ['a terminal', {}, true],
    ['a pipe', { isTTY: false }, false],
    ['--json, even with --color always', { json: true, mode: 'always' }, false],
    ['--color never on a terminal', { mode: 'never' }, false],
    ['--color always into a pipe', { mode: 'always', isTTY: false }, true],
    ['NO_COLOR=1 on a terminal (chalk alone would colour)', { env: { NO_COLOR: '1' } }, false],
    ['NO_COLOR empty: ignored, per no-color.org', { env: { NO_COLOR: '' } }, true],
    ['--color always beats NO_COLOR', { mode: 'always', env: { NO_COLOR: '1' } }, true],
    ['TERM=dumb', { env: { TERM: 'dumb' } }, false],
    ['FORCE_COLOR=1 into a pipe', { isTTY: false, env: { FORCE_COLOR: '1' } }, true],
    ['FORCE_COLOR=0 on a terminal', { env: { FORCE_COLOR: '0' } }, false],
  ])('%s', (_name, situation, expected) => {
    expect(shouldColor({ ...base, ...situation })).toBe(expected);
  });
});

test('colour off is level 0 and on is at least level 1, whatever chalk detected', () => {
  expect(colorLevel(false)).toBe(0);
  expect(colorLevel(true)).toBeGreaterThanOrEqual(1);
  expect(makeChalk(false).red('x')).toBe('x');
  expect(makeChalk(true).red('x')).toContain('\u001b[31m');
});
