import { expect, test } from 'vitest';
import { evaluateMatch } from './fixtures.js';

const assumption = 'TOS/DSCP of the packet assumed 0 (socket default)';

test.each([
  ['-m tos --tos 0x10/0xff', false],
  ['-m tos ! --tos 0x10/0xff', true],
  ['-m tos --tos 0x0/0x3f', true],
  ['-m tos --tos Normal-Service', true],
  ['-m tos --tos Minimize-Delay', false],
])('%s → %s under the TOS-0 assumption', (raw, value) => {
  expect(evaluateMatch(raw)).toEqual({ kind: 'bool', value, assumption });
});
