import Table from 'cli-table3';

/**
 * Border characters all empty: kubectl's tables have no borders. kubectl prints through a tabwriter with
 * padding 3 (k8s.io/cli-runtime/pkg/printers/tabwriter.go); cli-table3 with these settings matches it
 * except for tabwriter's minimum cell width (toolchain.md §3, measured).
 */
const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
} as const;

/**
 * Renders rows as a kubectl-style table: upper-case headers, no borders, three spaces between columns,
 * no trailing blanks. Cells may carry ANSI colour: cli-table3 measures widths without escape codes.
 */
export function renderKubectlTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({
    head: headers.map((header) => header.toUpperCase()),
    chars: { ...NO_BORDERS },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3 },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
