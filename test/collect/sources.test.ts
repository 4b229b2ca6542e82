import { describe, expect, test } from 'vitest';
import { getSource, procSysPath, SOURCES, VERSION_PROBES } from '../../src/collect/sources.js';

/** Words that would make a listed command change state (iptables(8), ipset(8), conntrack(8), ip(8), nft(8)). */
const WRITING = /^(?:-[ADIRFXZNEPw]|--(?:append|delete|insert|flush|zero|new|policy|write|load-file)|add|del|delete|flush|destroy|create|restore|set|change|replace|-restore)$/;

describe('sources', () => {
  test.each(SOURCES.filter((s) => s.kind === 'command').map((s) => [s.id, s.kind === 'command' ? s.command : []] as const))('%s only lists: %j', (_id, command) => {
    expect(command.slice(1).filter((w) => WRITING.test(w))).toEqual([]);
    expect(command[0]).not.toMatch(/restore|flush/);
  });

  test('ids and files are unique, fallbacks point at sources', () => {
    expect(new Set(SOURCES.map((s) => s.id)).size).toBe(SOURCES.length);
    expect(new Set(SOURCES.map((s) => s.file)).size).toBe(SOURCES.length);
    for (const s of SOURCES) if (s.fallbackFor) expect(getSource(s.fallbackFor)?.parser).toBe(s.parser);
    expect(VERSION_PROBES.every((p) => p.command.length === 2)).toBe(true);
  });

  test('conntrack streams to its file; iptables keeps counters', () => {
    expect(SOURCES.filter((s) => s.kind === 'command' && s.stream).map((s) => s.id)).toEqual(['conntrack', 'conntrack6']);
    expect(getSource('iptables-save')).toMatchObject({ command: ['iptables-save', '-c'] });
  });

  test.each([
    ['net.ipv4.ip_forward', '/proc/sys/net/ipv4/ip_forward'],
    ['net.bridge.bridge-nf-call-iptables', '/proc/sys/net/bridge/bridge-nf-call-iptables'],
  ])('procSysPath(%s)', (key, path) => expect(procSysPath(key)).toBe(path));
});
