// The one table every benchmark prints: a figure, what was measured, the floor or reference it is
// compared against (measured or computed in the same run), the target, and whether it was met.
// Measurement modules return rows; the benchmark that runs them prints one table.

export interface FigureRow {
  figure: string;
  measured: string;
  reference: string;
  target: string;
  verdict: string;
}

export function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

export function formatFigureTable(rows: readonly FigureRow[]): string {
  const columns = ['figure', 'measured', 'reference', 'target', 'verdict'] as const;
  const widths = columns.map((key) => Math.max(key.length, ...rows.map((row) => row[key].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(columns.map((key) => row[key])))].join('\n');
}
