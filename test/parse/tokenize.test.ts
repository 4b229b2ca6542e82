import { describe, expect, test } from 'vitest';
import { tokenizeRuleLine } from '../../src/parse/tokenize.js';

describe('tokenizeRuleLine', () => {
  // Quoting as libxtables xtables_save_string writes it (netfilter.md §10), escapes as iptables-restore reads them.
  test.each([
    ['-A X -j ACCEPT', ['-A', 'X', '-j', 'ACCEPT']],
    ['-A X  -j\tACCEPT\r', ['-A', 'X', '-j', 'ACCEPT']],
    ['--comment "ns1/svc1:p80 cluster IP"', ['--comment', 'ns1/svc1:p80 cluster IP']],
    ['--comment "a \\"b\\" c\\\\d \\\'e\\\'"', ['--comment', 'a "b" c\\d \'e\'']],
    ['--comment ""', ['--comment', '']],
    ['--comment -foo', ['--comment', '-foo']],
    ['--comment x"y z"w', ['--comment', 'xy zw']],
    ['! -s 10.0.0.0/8', ['!', '-s', '10.0.0.0/8']],
  ])('%s', (line, expected) => {
    const r = tokenizeRuleLine(line);
    expect(r.error).toBeUndefined();
    expect(r.tokens.map((t) => t.text)).toEqual(expected);
  });

  test('quoted tokens are marked, bare ones are not', () => {
    const { tokens } = tokenizeRuleLine('--comment "!" ! -x');
    expect(tokens.map((t) => [t.text, t.quoted])).toEqual([
      ['--comment', false],
      ['!', true],
      ['!', false],
      ['-x', false],
    ]);
  });

  test('token offsets cover the written text, quotes included', () => {
    const line = '-m comment --comment "a b" -j X';
    const t = tokenizeRuleLine(line).tokens[3]!;
    expect(line.slice(t.start, t.end)).toBe('"a b"');
  });

  test('an unbalanced quote is an error, not an exception', () => {
    const r = tokenizeRuleLine('-A X -m comment --comment "open -j ACCEPT');
    expect(r.error).toMatch(/expected a closing quote/);
    expect(r.tokens.at(-1)!.text).toBe('open -j ACCEPT');
  });
});
