import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import type { CtState } from '../../../src/engine/packet.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m state --state NEW', ['NEW'], true],
  ['-m state --state NEW,ESTABLISHED', ['NEW'], true],
  ['-m state --state RELATED,ESTABLISHED', ['NEW'], false],
  ['-m state ! --state RELATED,ESTABLISHED', ['NEW', 'DNAT'], true],
  ['-m state --state INVALID', ['INVALID'], true],
] as [string, CtState[], boolean][])('%s with %j → %s', (raw, states, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket({ state: states })))).toBe(expected);
});

test('-m state does not know the virtual DNAT state', () => {
  expect(compileMatch(makeMatch('-m state --state DNAT'), makeRule()).error).toBeDefined();
});
