import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

test('-m nfacct --nfacct-name always matches', () => {
  expect(evaluateMatch('-m nfacct --nfacct-name ct_state_invalid_dropped_pkts')).toEqual({ kind: 'bool', value: true });
});

test('unknown option is not understood', () => {
  expect(compileMatch(makeMatch('-m nfacct --foo x'), makeRule()).error).toBeDefined();
});
