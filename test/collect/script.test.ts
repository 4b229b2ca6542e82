import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { quoteShellWord, renderCollectScript, renderSourceLine } from '../../src/collect/script.js';
import { SOURCES } from '../../src/collect/sources.js';

describe('the collect script', () => {
  const script = renderCollectScript();

  test('has every source line and no placeholder left', () => {
    for (const s of SOURCES) expect(script).toContain(renderSourceLine(s));
    expect(script).not.toMatch(/@@[A-Z]+@@/);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
  });

  test('parses under dash -n', () => {
    execFileSync('dash', ['-n'], { input: script });
  });

  test.each([
    ['iptables-save', 'iptables-save'],
    ['["ip","-j"]', `'["ip","-j"]'`],
    ["it's", `'it'\\''s'`],
    ['a b', "'a b'"],
  ])('quoteShellWord(%s) = %s', (word, quoted) => {
    expect(quoteShellWord(word)).toBe(quoted);
    expect(execFileSync('sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' })).toBe(word);
  });
});
