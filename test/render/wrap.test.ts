import { describe, expect, test } from 'vitest';
import { visibleLength, wrapText } from '../../src/render/wrap.js';

describe('wrapText', () => {
  test('leaves text that fits, and all text when there is no width', () => {
    expect(wrapText('  why    ', 'dropped by KUBE-FIREWALL', 100, '         ')).toEqual(['  why    dropped by KUBE-FIREWALL']);
    expect(wrapText('- ', 'a '.repeat(200).trim(), undefined, '  ')).toHaveLength(1);
  });

  test('wraps at spaces with a hanging indent, no line over the width', () => {
    const text = 'default/webapp has no local endpoints on this node: external clients reaching NodePort 30080 are dropped';
    const lines = wrapText('  ✖ error  ', text, 40, '    ');
    expect(lines.every((line) => visibleLength(line) <= 40)).toBe(true);
    expect(lines[0].startsWith('  ✖ error  default/webapp')).toBe(true);
    expect(lines.slice(1).every((line) => line.startsWith('    ') && !line.startsWith('     '))).toBe(true);
    expect(lines.map((line) => line.trim()).join(' ')).toBe(`✖ error  ${text}`);
  });

  test('never splits a word longer than the line', () => {
    const lines = wrapText('  → ', 'jump to KUBE-XLB-2IRACUALRELARSND-AND-SOME-MORE-TEXT now', 20, '    ');
    expect(lines).toEqual(['  → jump to', '    KUBE-XLB-2IRACUALRELARSND-AND-SOME-MORE-TEXT', '    now']);
  });

  test('does not count colour escapes as columns', () => {
    const lead = '  \u001b[31m✖ error\u001b[39m  ';
    expect(visibleLength(lead)).toBe(11);
    expect(wrapText(lead, 'abc def', 18, '    ')).toEqual([`${lead}abc def`]);
  });
});
