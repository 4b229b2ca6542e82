import { describe, expect, test } from 'vitest';
import { parseCidr } from '../../../src/model/address.js';
import type { NatRange, Target } from '../../../src/model/target.js';
import { applyTarget } from '../../../src/engine/targets/apply.js';
import { makeContext, makePacket } from '../matches/fixtures.js';

const base = { options: [], raw: '-j X' };
const ctx = makeContext();

function markTarget(value: number, mask: number): Target {
  return { ...base, name: 'MARK', kind: 'MARK', value, mask };
}

describe('MARK', () => {
  // Written form → what iptables-save 1.8.9 printed for it (legacy and nft identical, checked in a
  // scratch namespace) → effect on a starting mark.
  test.each([
    ['--set-mark 0x8000', 0x8000, 0xffffffff, 0x4001, 0x8000],
    ['--set-mark 0x4000/0x4000', 0x4000, 0x4000, 0x1, 0x4001],
    ['--set-mark 0x10/0x0f (saved 0x10/0x1f)', 0x10, 0x1f, 0xff, 0xf0],
    ['--or-mark 0x4000', 0x4000, 0x4000, 0x8000, 0xc000],
    ['--and-mark 0xffffbfff', 0x0, 0x4000, 0xc000, 0x8000],
    ['--xor-mark 0x4000', 0x4000, 0x0, 0xc000, 0x8000],
    ['--set-xmark 0x004000/0x00ffff', 0x4000, 0xffff, 0xffff0001, 0xffff4000],
  ])('%s: saved %i/%i, mark %i → %i', (_written, value, mask, before, after) => {
    const packet = makePacket({ mark: before });
    const effect = applyTarget(markTarget(value, mask), packet, ctx);
    expect(effect.flow).toBe('continue');
    if (effect.flow !== 'continue') return;
    expect(effect.packet.mark).toBe(after);
    expect(effect.description).toBe(`mark 0x${before.toString(16)} → 0x${after.toString(16)}`);
    expect(packet.mark).toBe(before);
  });
});

describe('CONNMARK', () => {
  const connmark = (mode: 'set' | 'save' | 'restore', value: number, mask: number, nfmask: number, ctmask: number): Target => ({
    ...base, name: 'CONNMARK', kind: 'CONNMARK', mode, value, mask, nfmask, ctmask,
  });
  test.each([
    ['--set-xmark 0x1/0x3', connmark('set', 0x1, 0x3, 0, 0), 0x0, 0x6, 0x0, 0x5],
    ['--save-mark --nfmask 0xffffffff --ctmask 0xffffffff', connmark('save', 0, 0, 0xffffffff, 0xffffffff), 0x4000, 0x1, 0x4000, 0x4000],
    ['--save-mark --nfmask 0xff --ctmask 0xff', connmark('save', 0, 0, 0xff, 0xff), 0x1234, 0xff00, 0x1234, 0xff34],
    ['--restore-mark --nfmask 0xffffffff --ctmask 0xffffffff', connmark('restore', 0, 0, 0xffffffff, 0xffffffff), 0x1, 0x7, 0x7, 0x7],
    ['--restore-mark --nfmask 0xf0 --ctmask 0xf', connmark('restore', 0, 0, 0xf0, 0xf), 0x1f0, 0x25, 0x105, 0x25],
    ['--restore-mark, bits outside nfmask are XORed (xt_connmark.c)', connmark('restore', 0, 0, 0xf0, 0xf), 0x1ff, 0x25, 0x10a, 0x25],
    ['--set-xmark 0x0/0xffffff01 (--and-mark 0xfe)', connmark('set', 0, 0xffffff01, 0, 0), 0x0, 0xff, 0x0, 0xfe],
  ])('%s', (_written, target, mark, ctMark, markAfter, ctMarkAfter) => {
    const packet = makePacket({ mark });
    packet.ct.mark = ctMark;
    const effect = applyTarget(target, packet, ctx);
    expect(effect.flow).toBe('continue');
    if (effect.flow !== 'continue') return;
    expect(effect.packet.mark).toBe(markAfter);
    expect(effect.packet.ct.mark).toBe(ctMarkAfter);
    expect(packet.ct.mark).toBe(ctMark);
  });
});

describe('verdicts', () => {
  test.each([
    [{ ...base, name: 'ACCEPT', kind: 'ACCEPT' } as Target, 'ACCEPT'],
    [{ ...base, name: 'DROP', kind: 'DROP' } as Target, 'DROP'],
    [{ ...base, name: 'REJECT', kind: 'REJECT', rejectWith: 'icmp-port-unreachable' } as Target, 'REJECT'],
  ])('%j → %s', (target, verdict) => {
    const packet = makePacket();
    expect(applyTarget(target, packet, ctx)).toMatchObject({ flow: 'verdict', verdict, packet });
  });

  test.each([
    { ...base, name: 'KUBE-SVC-X', kind: 'jump', chain: 'KUBE-SVC-X' } as Target,
    { ...base, name: 'KUBE-SVC-X', kind: 'goto', chain: 'KUBE-SVC-X' } as Target,
    { ...base, name: 'RETURN', kind: 'RETURN' } as Target,
  ])('control target %j throws', (target) => {
    expect(() => applyTarget(target, makePacket(), ctx)).toThrow();
  });
});

describe('DNAT', () => {
  const dnat = (ranges: NatRange[]): Target => ({ ...base, name: 'DNAT', kind: 'DNAT', ranges, random: false, persistent: false, raw: '-j DNAT …' });

  test('to one address and port', () => {
    const packet = makePacket();
    const effect = applyTarget(dnat([{ addressFrom: '10.244.2.2', portFrom: 8080 }]), packet, ctx);
    expect(effect).toMatchObject({ flow: 'verdict', verdict: 'ACCEPT', nat: 'dnat', description: 'DNAT to 10.244.2.2:8080' });
    if (effect.flow !== 'verdict') return;
    expect(effect.packet).toMatchObject({ dst: '10.244.2.2', dport: 8080 });
    expect(effect.packet.ct).toMatchObject({ origDst: '10.96.34.82', origDport: 80, replySrc: '10.244.2.2' });
    expect([...effect.packet.ct.state]).toEqual(['NEW', 'DNAT']);
    expect(effect.assumptions).toBeUndefined();
    expect(packet.dst).toBe('10.96.34.82');
    expect(packet.ct.state.has('DNAT')).toBe(false);
  });

  test('address only keeps the port; a range takes the first address with an assumption', () => {
    const effect = applyTarget(dnat([{ addressFrom: '10.0.0.1', addressTo: '10.0.0.3' }]), makePacket(), ctx);
    if (effect.flow !== 'verdict') throw new Error('verdict expected');
    expect(effect.packet).toMatchObject({ dst: '10.0.0.1', dport: 80 });
    expect(effect.assumptions).toHaveLength(1);
    expect(effect.assumptions![0]).toContain('first address 10.0.0.1');
  });

  test('a port range takes the first port unless the original fits', () => {
    const e1 = applyTarget(dnat([{ addressFrom: '10.0.0.1', portFrom: 8000, portTo: 8010 }]), makePacket(), ctx);
    const e2 = applyTarget(dnat([{ addressFrom: '10.0.0.1', portFrom: 70, portTo: 90 }]), makePacket(), ctx);
    if (e1.flow !== 'verdict' || e2.flow !== 'verdict') throw new Error('verdict expected');
    expect(e1.packet.dport).toBe(8000);
    expect(e1.assumptions?.[0]).toContain('first port 8000');
    expect(e2.packet.dport).toBe(80);
  });

  test('IPv6 endpoint is bracketed', () => {
    const p = makePacket({ family: 6, src: 'fd00::5', dst: 'fd00:96::1' });
    expect(applyTarget(dnat([{ addressFrom: 'fd00:244::2', portFrom: 80 }]), p, ctx)).toMatchObject({ description: 'DNAT to [fd00:244::2]:80' });
  });
});

describe('SNAT / MASQUERADE', () => {
  test('SNAT --to-source sets the source and the SNAT state', () => {
    const target: Target = { ...base, name: 'SNAT', kind: 'SNAT', ranges: [{ addressFrom: '192.168.1.10' }], random: false, randomFully: false, persistent: false };
    const effect = applyTarget(target, makePacket(), ctx);
    expect(effect).toMatchObject({ flow: 'verdict', verdict: 'ACCEPT', nat: 'snat', description: 'SNAT to 192.168.1.10' });
    if (effect.flow !== 'verdict') return;
    expect(effect.packet.src).toBe('192.168.1.10');
    expect(effect.packet.ct.replyDst).toBe('192.168.1.10');
    expect(effect.packet.ct.state.has('SNAT')).toBe(true);
  });

  test('MASQUERADE keeps the source and says what the kernel does', () => {
    const target: Target = { ...base, name: 'MASQUERADE', kind: 'MASQUERADE', random: false, randomFully: true };
    const packet = makePacket({ outInterface: 'eth0' });
    const effect = applyTarget(target, packet, ctx);
    expect(effect).toMatchObject({
      flow: 'verdict', verdict: 'ACCEPT', nat: 'snat',
      description: 'MASQUERADE: source → address of output interface eth0 (random-fully)',
    });
    if (effect.flow !== 'verdict') return;
    expect(effect.packet.src).toBe(packet.src);
    expect(effect.packet.ct.state.has('SNAT')).toBe(true);
    expect(packet.ct.state.has('SNAT')).toBe(false);
  });
});

describe('REDIRECT', () => {
  const redirect: Target = { ...base, name: 'REDIRECT', kind: 'REDIRECT', ports: { portFrom: 15001 }, random: false };
  test('on OUTPUT: 127.0.0.1', () => {
    const effect = applyTarget(redirect, makePacket({ inInterface: '' }), makeContext({ hook: 'OUTPUT' }));
    expect(effect).toMatchObject({ flow: 'verdict', nat: 'dnat', description: 'REDIRECT to 127.0.0.1:15001' });
  });
  test('on PREROUTING: a node address, said as an assumption', () => {
    const c = makeContext({ localAddresses: [parseCidr('127.0.0.1')!, parseCidr('192.168.1.10')!] });
    const effect = applyTarget(redirect, makePacket(), c);
    if (effect.flow !== 'verdict') throw new Error('verdict expected');
    expect(effect.packet).toMatchObject({ dst: '192.168.1.10', dport: 15001 });
    expect(effect.assumptions?.[0]).toContain('primary address of input interface eth0');
  });
});

describe('observers and CT', () => {
  test.each(['LOG', 'NFLOG', 'ULOG', 'TRACE'] as const)('%s continues with the packet unchanged', (kind) => {
    const packet = makePacket();
    const effect = applyTarget({ ...base, name: kind, kind }, packet, ctx);
    expect(effect).toMatchObject({ flow: 'continue', packet });
  });

  test('CT --notrack makes the packet UNTRACKED', () => {
    const packet = makePacket();
    const effect = applyTarget({ ...base, name: 'CT', kind: 'CT', notrack: true }, packet, ctx);
    if (effect.flow !== 'continue') throw new Error('continue expected');
    expect([...effect.packet.ct.state]).toEqual(['UNTRACKED']);
    expect([...packet.ct.state]).toEqual(['NEW']);
  });

  test('CT without --notrack continues unchanged', () => {
    const packet = makePacket();
    expect(applyTarget({ ...base, name: 'CT', kind: 'CT', notrack: false }, packet, ctx)).toMatchObject({ flow: 'continue', packet });
  });

  test('an unknown target is not understood', () => {
    expect(applyTarget({ ...base, name: 'TPROXY', kind: 'unknown', raw: '-j TPROXY --on-port 1' }, makePacket(), ctx)).toEqual({
      flow: 'unknown',
      reason: 'not understood: -j TPROXY --on-port 1',
    });
  });
});
