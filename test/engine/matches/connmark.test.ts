import { expect, test } from 'vitest';
import { evaluateMatch, makePacket, summarize } from './fixtures.js';

function withCtMark(ctMark: number, mark = 0) {
  const p = makePacket({ mark });
  p.ct.mark = ctMark;
  return p;
}

test.each([
  ['-m connmark --mark 0x1/0x1', 0x1, 0, true],
  ['-m connmark --mark 0x1/0x1', 0x2, 0x1, false],
  ['-m connmark ! --mark 0x1/0x1', 0x0, 0, true],
  ['-m connmark --mark 0x3', 0x3, 0, true],
])('%s with ctmark %i (mark %i) → %s', (raw, ctMark, mark, expected) => {
  expect(summarize(evaluateMatch(raw, withCtMark(ctMark, mark)))).toBe(expected);
});
