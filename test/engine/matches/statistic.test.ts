import { describe, expect, test } from 'vitest';
import { getRandomThreshold } from '../../../src/engine/matches/statistic.js';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

const TWO_POW_31 = 2 ** 31;

function probabilityOf(raw: string): number {
  const r = evaluateMatch(raw);
  if (r.kind !== 'probability') throw new Error(`expected a probability from ${raw}`);
  return r.p;
}

describe('random mode', () => {
  // Saved values from netfilter.md §6 (iptables-save rewrote them; re-checked with iptables 1.8.9 here).
  test.each([
    ['0.33333333349', 715827883],
    ['0.3333333333', 715827883],
    ['0.50000000000', 1073741824],
    ['0.25000000000', 536870912],
    ['0.16666666651', 357913941],
    ['0.10000000009', 214748365],
  ])('--probability %s → N = %i', (text, n) => {
    expect(getRandomThreshold(Number(text))).toBe(n);
    expect(probabilityOf(`-m statistic --mode random --probability ${text}`)).toBe(n / TWO_POW_31);
  });

  test('negation is 1 − N/2^31', () => {
    expect(probabilityOf('-m statistic --mode random ! --probability 0.50000000000')).toBe(1 - 1073741824 / TWO_POW_31);
  });

  test('three endpoints: 0.33333333349, 0.50000000000, then unconditional give 1/3 each', () => {
    const q1 = probabilityOf('-m statistic --mode random --probability 0.33333333349');
    const q2 = probabilityOf('-m statistic --mode random --probability 0.50000000000');
    const shares = [q1, (1 - q1) * q2, (1 - q1) * (1 - q2)];
    expect(shares[0]! + shares[1]! + shares[2]!).toBeCloseTo(1, 15);
    for (const s of shares) expect(Math.abs(s - 1 / 3)).toBeLessThan(1e-9);
  });
});

describe('nth mode', () => {
  test.each([
    ['-m statistic --mode nth --every 3 --packet 1', 1 / 3],
    ['-m statistic --mode nth --every 2 --packet 0', 1 / 2],
    ['-m statistic --mode nth ! --every 4 --packet 0', 3 / 4],
  ])('%s → %f, said to be counter-based', (raw, p) => {
    const r = evaluateMatch(raw);
    expect(r).toMatchObject({ kind: 'probability', p });
    expect(r.kind === 'probability' && r.reason).toContain('counter-based');
  });
});

test.each(['-m statistic --mode random --probability 2', '-m statistic --mode foo', '-m statistic --mode random'])('%s does not compile', (raw) => {
  expect(compileMatch(makeMatch(raw), makeRule()).error).toBeDefined();
});
