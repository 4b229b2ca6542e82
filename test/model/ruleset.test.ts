import { describe, expect, test } from 'vitest';
import { parseIptables } from '../../src/parse/iptables-save.js';

const text = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:BIG - [0:0]
-A BIG -s 10.0.0.1/32 -j ACCEPT
-A BIG -s 10.0.0.2/32 -j DROP
-A BIG -s 10.0.0.3/32 -j RETURN
COMMIT
`;

describe('Chain: rules parsed one by one, lazily, and consistently', () => {
  test('raw lines without parsing; getRule parses one; listRules reuses it', () => {
    const chain = parseIptables(text, 'c.rules').tables.get('filter')!.chains.get('BIG')!;
    expect(chain.listRawRules().map((r) => r.line)).toEqual([6, 7, 8]);
    expect(chain.parsed).toBe(false);
    const second = chain.getRule(1);
    expect(second.index).toBe(2);
    expect(second.source.line).toBe(7);
    expect(second.target?.kind).toBe('DROP');
    expect(chain.parsed).toBe(false);
    const all = chain.listRules();
    expect(chain.parsed).toBe(true);
    expect(all[1]).toBe(second);
    expect(all.map((r) => r.index)).toEqual([1, 2, 3]);
  });
});
