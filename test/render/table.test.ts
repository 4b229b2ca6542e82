import { expect, test } from 'vitest';
import { renderKubectlTable } from '../../src/render/table.js';

test('renders like kubectl: upper-case headers, no borders, three spaces between columns, no trailing blanks', () => {
  const text = renderKubectlTable(['name', 'verdict'], [['a', 'ACCEPT'], ['longer-name', 'DROP']]);
  expect(text.split('\n')).toEqual(['NAME          VERDICT', 'a             ACCEPT', 'longer-name   DROP']);
});

test('measures coloured cells by their visible width', () => {
  const red = '\u001b[31mDROP\u001b[39m';
  const lines = renderKubectlTable(['verdict', 'x'], [[red, '1'], ['ACCEPT', '2']]).split('\n');
  expect(lines[1]).toBe(`${red}      1`);
  expect(lines[2]).toBe('ACCEPT    2');
});
