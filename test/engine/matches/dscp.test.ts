import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

const assumption = 'TOS/DSCP of the packet assumed 0 (socket default)';

test.each([
  ['-m dscp --dscp 0x0a', false],
  ['-m dscp ! --dscp 0x0a', true],
  ['-m dscp --dscp 0', true],
  ['-m dscp --dscp-class BE', true],
  ['-m dscp --dscp-class EF', false],
])('%s → %s under the DSCP-0 assumption', (raw, value) => {
  expect(evaluateMatch(raw)).toEqual({ kind: 'bool', value, assumption });
});

test('DSCP above 63 does not compile', () => {
  expect(compileMatch(makeMatch('-m dscp --dscp 64'), makeRule()).error).toBeDefined();
});
