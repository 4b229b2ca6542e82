import { describe, expect, test } from 'vitest';
import { parseNatRange, parseU32, parseValueMask } from '../../src/parse/target.js';

describe('numbers', () => {
  test.each([
    ['0x4000', 0x4000],
    ['16384', 16384],
    ['0xffffffff', 0xffffffff],
    ['4294967295', 0xffffffff],
    ['0x0', 0],
  ])('parseU32(%s)', (text, value) => expect(parseU32(text)).toBe(value));

  test.each(['', 'x', '0x', '4294967296', '0x1ffffffff', '-1'])('parseU32(%j) is undefined', (text) => {
    expect(parseU32(text)).toBeUndefined();
  });

  test('value/mask', () => {
    expect(parseValueMask('0x4000/0x4000')).toEqual({ value: 0x4000, mask: 0x4000 });
    expect(parseValueMask('0x8000')).toEqual({ value: 0x8000 });
    expect(parseValueMask('1/x')).toBeUndefined();
  });
});

describe('parseNatRange', () => {
  test.each([
    ['10.244.2.2:80', 4, { addressFrom: '10.244.2.2', addressTo: '10.244.2.2', portFrom: 80, portTo: 80 }],
    ['1.2.3.4-1.2.3.6:80-81', 4, { addressFrom: '1.2.3.4', addressTo: '1.2.3.6', portFrom: 80, portTo: 81 }],
    ['5.6.7.8', 4, { addressFrom: '5.6.7.8', addressTo: '5.6.7.8' }],
    [':8080', 4, { portFrom: 8080, portTo: 8080 }],
    ['[fd00::2]:80', 6, { addressFrom: 'fd00::2', addressTo: 'fd00::2', portFrom: 80, portTo: 80 }],
    ['fd00::3', 6, { addressFrom: 'fd00::3', addressTo: 'fd00::3' }],
    ['[fd00::3]-[fd00::5]:80-82', 6, { addressFrom: 'fd00::3', addressTo: 'fd00::5', portFrom: 80, portTo: 82 }],
  ] as const)('%s', (text, family, expected) => {
    expect(parseNatRange(text, family)).toEqual(expected);
  });

  test.each(['1.2.3.4:80-90/100', '1.2.3.4:x', '', '[fd00::1'])('%j is not modelled', (text) => {
    expect(parseNatRange(text, 4)).toBeUndefined();
  });
});
