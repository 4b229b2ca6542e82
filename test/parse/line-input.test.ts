import { describe, expect, test } from 'vitest';
import { forEachLine, lineAt, parseInteger, ProblemLog, readJsonArray, splitBlanks } from '../../src/parse/line-input.js';
import { InputError } from '../../src/model/source.js';

describe('forEachLine', () => {
  test.each([
    ['a\nb\n', [['a', 1], ['b', 2]]],
    ['a\r\nb', [['a', 1], ['b', 2]]],
    ['\n\nc', [['', 1], ['', 2], ['c', 3]]],
    ['', []],
  ] as const)('%j', (text, expected) => {
    const got: [string, number][] = [];
    forEachLine(text, (l, n) => got.push([l, n]));
    expect(got).toEqual(expected);
  });
});

describe('small helpers', () => {
  test.each([
    ['tcp      6 86395', ['tcp', '6', '86395']],
    ['\t a \t b ', ['a', 'b']],
    ['', []],
  ] as const)('splitBlanks(%j)', (text, words) => {
    expect(splitBlanks(text)).toEqual(words);
  });

  test.each([
    ['42', 42],
    ['0x4000', 16384],
    ['-1', undefined],
    ['4k', undefined],
    [undefined, undefined],
  ] as const)('parseInteger(%j) = %j', (text, value) => {
    expect(parseInteger(text)).toBe(value);
  });

  test('lineAt counts the newlines before an offset', () => {
    expect(lineAt('a\nbb\nccc', 0)).toBe(1);
    expect(lineAt('a\nbb\nccc', 3)).toBe(2);
    expect(lineAt('a\nbb\nccc', 7)).toBe(3);
  });
});

describe('ProblemLog', () => {
  test('tolerant mode records; strict mode throws errors and warnings but not notes', () => {
    const log = new ProblemLog('f.txt', false);
    log.error(3, 'bad', 'x'.repeat(300));
    expect(log.diagnostics[0]).toMatchObject({ severity: 'error', source: { file: 'f.txt', line: 3 }, message: 'bad' });
    expect(log.diagnostics[0]!.text!.length).toBeLessThan(210);
    const strict = new ProblemLog('f.txt', true);
    expect(() => strict.error(2, 'bad', 'line')).toThrow(new InputError({ file: 'f.txt', line: 2 }, 'bad: line'));
    expect(() => strict.warning(2, 'odd')).toThrow(InputError);
    strict.info(1, 'fyi');
    expect(strict.diagnostics.length).toBe(1);
  });
});

describe('readJsonArray', () => {
  test('elements with their start lines, pretty or compact', () => {
    const log = new ProblemLog('j', false);
    const got = readJsonArray('[\n  {"a": 1},\n  {\n    "b": "x]}"\n  }, 3\n]\n', log, 'thing');
    expect(got!.map((e) => [e.value, e.line])).toEqual([
      [{ a: 1 }, 2],
      [{ b: 'x]}' }, 3],
      [3, 5],
    ]);
    expect(log.diagnostics).toEqual([]);
  });

  test('not an array → undefined', () => {
    expect(readJsonArray('1: lo: <UP>', new ProblemLog('j', false), 'x')).toBeUndefined();
  });

  test.each([
    ['[{"a":1},{"b":', 1, /element 2 is cut off/],
    ['[{"a":1}\n', 2, /not closed/],
    ['[{"a":1},\n{"b":tru}]', 2, /invalid JSON in thing element 2/],
    ['[{"a":1}] trailing', 1, /unexpected text after/],
  ] as const)('%j → problem at line %i', (text, line, message) => {
    const log = new ProblemLog('j', false);
    const got = readJsonArray(text, log, 'thing');
    expect(got![0]!.value).toEqual({ a: 1 });
    expect(log.diagnostics[0]!.source.line).toBe(line);
    expect(log.diagnostics[0]!.message).toMatch(message);
  });
});
