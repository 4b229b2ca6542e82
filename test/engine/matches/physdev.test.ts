import { expect, test } from 'vitest';
import { evaluateMatch, makeContext, makePacket, summarize } from './fixtures.js';

const forward = makeContext({ hook: 'FORWARD', table: 'filter' });
const prerouting = makeContext({ hook: 'PREROUTING' });
const bridged = { bridged: true, physIn: 'veth1', physOut: 'veth2' };
const bridgedPre = { bridged: true, physIn: 'veth1' };

test.each([
  ['-m physdev --physdev-is-bridged', bridged, forward, true],
  ['-m physdev ! --physdev-is-bridged', bridged, forward, false],
  ['-m physdev --physdev-in veth1', bridged, forward, true],
  ['-m physdev --physdev-in veth+', bridged, forward, true],
  ['-m physdev --physdev-in veth9', bridged, forward, false],
  ['-m physdev ! --physdev-in veth9 --physdev-out veth2', bridged, forward, true],
  ['-m physdev --physdev-is-in', bridgedPre, prerouting, true],
  ['-m physdev ! --physdev-is-in', bridgedPre, prerouting, false],
  ['-m physdev --physdev-is-bridged', bridgedPre, prerouting, false],
  ['-m physdev --physdev-out veth2', bridgedPre, prerouting, true],
  ['-m physdev ! --physdev-out veth2', bridgedPre, prerouting, true],
  // Not bridged: matches only when every option is negated.
  ['-m physdev ! --physdev-is-in', { bridged: false }, prerouting, true],
  ['-m physdev --physdev-is-in', { bridged: false }, prerouting, false],
  ['-m physdev ! --physdev-is-in --physdev-out x', { bridged: false }, prerouting, false],
  ['-m physdev --physdev-is-in', {}, prerouting, 'unknown'],
  ['-m physdev --physdev-in veth1', { bridged: true }, forward, 'unknown'],
  ['-m physdev --physdev-is-out', { bridged: true, physIn: 'veth1' }, forward, 'unknown'],
] as const)('%s with %j → %s', (raw, packet, ctx, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet), ctx))).toBe(expected);
});
