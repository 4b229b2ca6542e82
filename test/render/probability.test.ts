import { describe, expect, test } from 'vitest';
import { formatFraction, formatPercent, formatProbability } from '../../src/render/probability.js';

/** The share the kernel really applies for kube-proxy's `--probability 0.3333333333` (libxt_statistic: lround(p * 2^31)). */
const kernelShare = (p: number): number => Math.round(p * 2 ** 31) / 2 ** 31;
const first = kernelShare(0.3333333333);
const second = (1 - first) * kernelShare(0.5);

describe('formatPercent', () => {
  test.each([
    [1, '100.0%'],
    [0.5, '50.0%'],
    [1 / 3, '33.3%'],
    [2 / 3, '66.7%'],
    [0.0004, '0.0%'],
  ])('%d → %s', (share, text) => {
    expect(formatPercent(share)).toBe(text);
  });
});

describe('formatFraction', () => {
  test.each([
    [first, '1/3'],
    [second, '1/3'],
    [1 - first - second, '1/3'],
    [0.5, '1/2'],
    [0.25, '1/4'],
    [2 / 3, '2/3'],
    [1 / 12, '1/12'],
    [1 / 20, undefined],
    [0.123, undefined],
    [1 / 13, undefined],
    [1, undefined],
    [0, undefined],
    [0.5 + 2e-6, undefined],
  ])('%d → %s', (share, fraction) => {
    expect(formatFraction(share)).toBe(fraction);
  });
});

describe('formatProbability', () => {
  test.each([
    [first, '33.3% (1/3)'],
    [1, '100.0%'],
    [0.123, '12.3%'],
  ])('%d → %s', (share, text) => {
    expect(formatProbability(share)).toBe(text);
  });
});
