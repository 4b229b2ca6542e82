import { expect, test } from 'vitest';
import { identifyFile } from '../../src/collect/identify-file.js';
import type { SourceKind } from '../../src/parse/detect-source.js';

test.each<[string, SourceKind, string | undefined, 4 | 6 | undefined]>([
  ['diagnostics/ipv4_tables', 'iptables-save', 'iptables-save', 4],
  ['diagnostics/ipv6_tables', 'ip6tables-save', 'ip6tables-save', 6],
  ['iptables-legacy-save.txt', 'iptables-save', 'iptables-legacy-save', 4],
  ['iptables-save.txt', 'ip6tables-save', 'ip6tables-save', 6],
  ['out.log', 'iptables-save', 'iptables-save', 4],
  ['ipset_list', 'ipset-list', 'ipset-list', undefined],
  ['diagnostics/ipv6_route', 'ip-route', 'ip6-route', 6],
  ['ip-route.json', 'ip-route-json', 'ip-route', undefined],
  ['conntrack6.txt', 'conntrack', 'conntrack6', 6],
  ['nft.txt', 'nft-ruleset', 'nft-ruleset', undefined],
  ['uname.txt', 'unknown', 'uname', undefined],
  ['diagnostics/hostname', 'unknown', 'hostname', undefined],
  ['README.md', 'unknown', undefined, undefined],
  ['iptables.txt', 'iptables-L', undefined, undefined],
])('%s holding %s is read as %s', (name, kind, id, family) => {
  const found = identifyFile(name, kind);
  expect(found.role?.id).toBe(id);
  expect(found.role?.family).toBe(family);
});
