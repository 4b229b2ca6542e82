import { expect, test } from 'vitest';
import { evaluateMatch, summarize } from './fixtures.js';

test.each([
  ['-m ipvs --ipvs', 'unknown'],
  ['-m ipvs ! --ipvs', 'unknown'],
  ['-m ipvs --ipvs --vaddr 10.96.34.82/32 --vport 80', 'unknown'],
  ['-m ipvs --ipvs --vaddr 10.96.0.1/32', false],
  ['-m ipvs --vport 443', false],
  ['-m ipvs --vproto udp', false],
  ['-m ipvs --ipvs --vdir REPLY', false],
  ['-m ipvs ! --vaddr 10.96.34.82/32', false],
])('%s → %s for the ClusterIP packet', (raw, expected) => {
  expect(summarize(evaluateMatch(raw))).toBe(expected);
});
