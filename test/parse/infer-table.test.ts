import { describe, expect, test } from 'vitest';
import { CHAIN_TABLES, getChainTableEntry, inferRuleTable } from '../../src/parse/infer-table.js';

describe('chain table registry', () => {
  test.each([
    ['KUBE-SVC-XPGD46QRK7WJZT7O', ['nat']],
    ['KUBE-SEP-SXIVWICOYRO3J4NJ', ['nat']],
    ['KUBE-FW-ABC', ['nat']],
    ['KUBE-FIREWALL', ['filter']],
    ['KUBE-FORWARD', ['filter']],
    ['KUBE-SERVICES', ['nat', 'filter']],
    ['cali-pri-_CVSZITRyIpEmH8AB6H', ['filter']],
    ['cali-pi-_tTE-E7yY40ogArNVgKt', ['filter']],
    ['cali-from-wl-dispatch-5', ['filter']],
    ['cali-nat-outgoing', ['nat']],
    ['PREROUTING', ['nat', 'raw', 'mangle']],
    ['INPUT', ['filter', 'mangle', 'nat', 'security']],
  ])('%s', (chain, tables) => {
    expect(getChainTableEntry(chain)?.tables).toEqual(tables);
  });

  test('unknown chains have no entry', () => {
    expect(getChainTableEntry('MY-CHAIN')).toBeUndefined();
  });

  test('every entry names a description', () => {
    for (const e of CHAIN_TABLES) expect(e.description.length).toBeGreaterThan(5);
  });
});

describe('inferRuleTable', () => {
  const none = (): undefined => undefined;
  test.each([
    [{ chain: 'KUBE-SERVICES', target: 'KUBE-SVC-X', ctstateNew: false }, 'nat'],
    [{ chain: 'KUBE-SERVICES', target: 'KUBE-NODEPORTS', ctstateNew: false }, 'nat'],
    [{ chain: 'KUBE-SERVICES', target: 'REJECT', ctstateNew: false }, 'filter'],
    [{ chain: 'KUBE-SERVICES', target: 'DROP', ctstateNew: false }, 'filter'],
    [{ chain: 'KUBE-NODEPORTS', target: 'KUBE-EXT-X', ctstateNew: false }, 'nat'],
    [{ chain: 'KUBE-NODEPORTS', target: 'ACCEPT', ctstateNew: false }, 'filter'],
    [{ chain: 'OUTPUT', target: 'KUBE-SERVICES', ctstateNew: true }, 'filter'],
    [{ chain: 'OUTPUT', target: 'KUBE-SERVICES', ctstateNew: false }, 'nat'],
    [{ chain: 'PREROUTING', target: 'KUBE-SERVICES', ctstateNew: false }, 'nat'],
    [{ chain: 'FORWARD', target: 'KUBE-FORWARD', ctstateNew: false }, 'filter'],
    [{ chain: 'POSTROUTING', target: 'MASQUERADE', ctstateNew: false }, 'nat'],
    [{ chain: 'PREROUTING', target: 'CT', ctstateNew: false }, 'raw'],
    [{ chain: 'MY-CHAIN', target: 'DNAT', ctstateNew: false }, 'nat'],
  ])('%o → %s', (facts, table) => {
    expect(inferRuleTable(facts, none, undefined)?.table).toBe(table);
  });

  test('unknown chain with an uninformative target: no decision', () => {
    expect(inferRuleTable({ chain: 'MY-CHAIN', target: 'ACCEPT', ctstateNew: false }, none, undefined)).toBeUndefined();
  });

  test('jumps into a chain whose table is known', () => {
    expect(inferRuleTable({ chain: 'MY-CHAIN', target: 'MY-OTHER', ctstateNew: false }, () => 'mangle', undefined)?.table).toBe('mangle');
  });
});
