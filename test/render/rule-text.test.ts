import { describe, expect, test } from 'vitest';
import { shortenRuleText, shortenText } from '../../src/render/rule-text.js';

const long =
  '-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND';
const dnat =
  '-A KUBE-SEP-XYZ -p tcp -m comment --comment "default/nginx:http" -m tcp -j DNAT --to-destination 10.244.2.2:80';

describe('shortenRuleText', () => {
  test('keeps a rule that fits, and every rule when there is no width (piped output)', () => {
    expect(shortenRuleText(long, 500)).toBe(long);
    expect(shortenRuleText(long, undefined)).toBe(long);
  });

  test.each([60, 80, 100])('at width %d keeps the head and the whole target', (width) => {
    const short = shortenRuleText(long, width);
    expect(short.length).toBeLessThanOrEqual(width);
    expect(short.startsWith('-A KUBE-SERVICES')).toBe(true);
    expect(short.endsWith('-j KUBE-SVC-2IRACUALRELARSND')).toBe(true);
    expect(short).toContain(' … ');
  });

  test('leaves the comment out first, whole, keeping addresses, protocol and port', () => {
    expect(shortenRuleText(long, 100)).toBe('-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp … -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND');
  });

  test('then leaves out whole groups from the target backwards, never half a quoted word', () => {
    const short = shortenRuleText(long, 70);
    expect(short).toBe('-A KUBE-SERVICES -d 10.96.34.82/32 … -j KUBE-SVC-2IRACUALRELARSND');
    expect(short.split('"').length % 2).toBe(1);
  });

  test('keeps escaped quotes inside a comment in one word', () => {
    const escaped = '-A X -m comment --comment "say \\"hi\\" -j no" -p tcp -j ACCEPT';
    expect(shortenRuleText(escaped, 30)).toBe('-A X … -p tcp -j ACCEPT');
  });

  test('keeps target options (DNAT --to-destination) too', () => {
    const short = shortenRuleText(dnat, 70);
    expect(short.endsWith('-j DNAT --to-destination 10.244.2.2:80')).toBe(true);
    expect(short.length).toBeLessThanOrEqual(70);
  });

  test('lets the line run over rather than lose the target', () => {
    const short = shortenRuleText(dnat, 30);
    expect(short.endsWith('-j DNAT --to-destination 10.244.2.2:80')).toBe(true);
    expect(short.startsWith('-A KUBE-SEP-XYZ')).toBe(true);
  });

  test('takes the last -j, not one quoted inside a comment', () => {
    const tricky = '-A X -m comment --comment "see -j docs" -s 10.0.0.0/8 -d 10.1.0.0/16 -p tcp -j ACCEPT';
    expect(shortenRuleText(tricky, 40).endsWith(' -j ACCEPT')).toBe(true);
  });

  test('cuts a rule without a target at the end, marked with …', () => {
    const noTarget = '-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m tcp --dport 80 -m comment --comment "counting only"';
    const short = shortenRuleText(noTarget, 40);
    expect(short.length).toBeLessThanOrEqual(40);
    expect(short.endsWith('…')).toBe(true);
  });
});

describe('shortenText', () => {
  test.each([
    ['statistic p=0.3333333333', 100, 'statistic p=0.3333333333'],
    ['statistic p=0.3333333333', 10, 'statistic…'],
  ])('%s at %d → %s', (text, width, expected) => {
    expect(shortenText(text, width)).toBe(expected);
  });
});
