import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { getChain, type Ruleset } from '../../src/model/ruleset.js';
import { parseIptables } from '../../src/parse/iptables-save.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/parse/${name}`, import.meta.url), 'utf8');

/** table → chain → [index, line] of every rule. */
function layout(rs: Ruleset): Record<string, Record<string, Array<[number, number]>>> {
  const out: Record<string, Record<string, Array<[number, number]>>> = {};
  for (const [t, table] of rs.tables) {
    out[t] = {};
    for (const [name, chain] of table.chains) out[t]![name] = chain.listRules().map((r) => [r.index, r.source.line]);
  }
  return out;
}

describe('excerpts', () => {
  test('kube-proxy grep with prompt, counters, cut marks and fences: KUBE-SERVICES split between nat and filter', () => {
    const rs = parseIptables(fixture('kube-proxy-grep-excerpt.md'), 'ticket.md');
    expect(rs.format).toBe('excerpt');
    expect(layout(rs)).toEqual({
      nat: {
        'KUBE-SERVICES': [
          [1, 11],
          [2, 13],
        ],
        'KUBE-SVC-2CMXP7HKUVJN7L6M': [
          [1, 14],
          [2, 15],
        ],
        'KUBE-SEP-HUXRPHBUO34UVPEF': [
          [1, 16],
          [2, 17],
        ],
        PREROUTING: [[1, 9]],
        OUTPUT: [[1, 10]],
      },
      filter: {
        FORWARD: [[1, 18]],
        OUTPUT: [[1, 19]],
        'KUBE-SERVICES': [[1, 20]],
      },
    } as never);
    const rules = getChain(rs, 'nat', 'KUBE-SEP-HUXRPHBUO34UVPEF')!.listRules();
    expect(rules[1]!.counters).toEqual({ packets: 0, bytes: 0 });
    expect(rules[1]!.raw).toBe('-A KUBE-SEP-HUXRPHBUO34UVPEF -p tcp -m comment --comment "default/nginx" -m tcp -j DNAT --to-destination 10.244.2.2:80');
    // The prose line and the prompt are noise; nothing is an error.
    expect(rs.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.source.line)).toEqual([1]);
    // KUBE-NODEPORTS and KUBE-MARK-MASQ are only jump targets: not created.
    expect(getChain(rs, 'nat', 'KUBE-NODEPORTS')).toBeUndefined();
    expect(getChain(rs, 'nat', 'KUBE-MARK-MASQ')).toBeUndefined();
    expect(rs.assumptions).toContain('excerpt has no table headers: chain KUBE-SVC-2CMXP7HKUVJN7L6M assumed to be in nat (kube-proxy service chain)');
    expect(rs.assumptions.some((a) => /KUBE-SERVICES.*line 20.*filter.*REJECT/.test(a))).toBe(true);
    expect(rs.assumptions.some((a) => /chain FORWARD assumed to be in filter/.test(a))).toBe(true);
  });

  test('Calico excerpt from a real article (seed 000): cali- chains in filter, -t filter prompt used', () => {
    const rs = parseIptables(fixture('calico-grep-excerpt.txt'), 'calico.txt');
    expect([...rs.tables.keys()]).toEqual(['filter']);
    const chains = rs.tables.get('filter')!.chains;
    expect([...chains.keys()]).toEqual([
      'cali-fw-cali95aa86cbb2a',
      'cali-tw-cali95aa86cbb2a',
      'cali-pi-_tTE-E7yY40ogArNVgKt',
      'cali-from-wl-dispatch',
      'cali-to-wl-dispatch',
    ]);
    const fw = chains.get('cali-fw-cali95aa86cbb2a')!;
    expect(fw).toMatchObject({ declared: true, ruleCount: 10, source: { line: 4 } });
    expect(fw.listRules().map((r) => r.source.line)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(chains.get('cali-from-wl-dispatch')!.listRules()[0]!.target).toMatchObject({ kind: 'goto', chain: 'cali-fw-cali95aa86cbb2a' });
    expect(chains.get('cali-from-wl-dispatch')!.declared).toBe(false);
    expect(rs.diagnostics).toEqual([]);
    expect(rs.assumptions).toContain('excerpt has no table headers: chain cali-tw-cali95aa86cbb2a assumed to be in filter (Calico to-workload chain)');
    expect(rs.assumptions.some((a) => a.includes('from the command on line 30') && a.includes('filter'))).toBe(true);
  });

  test('`iptables -S -t nat | grep` excerpt (seed 003): table from the prompt, duplicate rule kept once', () => {
    const rs = parseIptables(fixture('kube-proxy-S-excerpt.txt'), 's.txt');
    expect([...rs.tables.keys()]).toEqual(['nat']);
    const services = getChain(rs, 'nat', 'KUBE-SERVICES')!;
    expect(services.ruleCount).toBe(1);
    expect(getChain(rs, 'nat', 'KUBE-SVC-BNADCOKSJRTPXUOH')!.listRules().map((r) => r.index)).toEqual([1, 2, 3]);
    expect(rs.diagnostics.filter((d) => d.severity === 'info')).toMatchObject([{ source: { line: 15 } }]);
  });

  test('explicit *table context inside an excerpt is used (seed 004 shape)', () => {
    const text = '```\n*nat\n...\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n...\n```\n';
    const rs = parseIptables(text, 'x');
    expect(getChain(rs, 'nat', 'PREROUTING')!.listRules()[0]!.source.line).toBe(4);
    expect(rs.assumptions).toEqual([]);
  });

  test('unknown chains take the table of their targets, then of their callers, else filter', () => {
    const text = [
      '-A MY-DNAT -p tcp -j DNAT --to-destination 10.0.0.1:80',
      '-A MY-ENTRY -j MY-DNAT',
      '-A MY-LEAF -j ACCEPT',
      '-A MY-CALLER -j MY-LEAF',
      '-A KUBE-SVC-AAAA -j MY-HELPER',
      '-A MY-HELPER -j ACCEPT',
    ].join('\n');
    const rs = parseIptables(text, 'x');
    expect([...rs.tables.get('nat')!.chains.keys()]).toEqual(['MY-DNAT', 'MY-ENTRY', 'KUBE-SVC-AAAA', 'MY-HELPER']);
    expect([...rs.tables.get('filter')!.chains.keys()]).toEqual(['MY-LEAF', 'MY-CALLER']);
    expect(rs.assumptions.find((a) => a.includes('MY-HELPER'))).toMatch(/line 5 in nat jumps to it/);
  });

  test('an -L listing inside an excerpt is skipped with one warning', () => {
    const text = '-A KUBE-SVC-X -j KUBE-SEP-Y\n$ iptables -t nat -L KUBE-SEP-Y\nChain KUBE-SEP-Y (1 references)\ntarget prot opt source destination\nDNAT tcp -- 0.0.0.0/0 0.0.0.0/0 tcp to:10.0.0.1:80\n';
    const rs = parseIptables(text, 'x');
    expect(rs.diagnostics).toMatchObject([{ severity: 'warning', source: { line: 3 } }]);
    expect(rs.diagnostics[0]!.message).toMatch(/iptables-save/);
  });

  test('malformed excerpt rules are diagnostics at their lines', () => {
    const text = '$ iptables-save | grep X\n-A\n-A KUBE-SVC-X -m comment --comment "oops -j KUBE-SEP-Y\n';
    const rs = parseIptables(text, 'x');
    getChain(rs, 'nat', 'KUBE-SVC-X')!.listRules();
    expect(rs.diagnostics.map((d) => [d.source.line, d.severity])).toEqual([
      [2, 'error'],
      [3, 'error'],
    ]);
  });
});
