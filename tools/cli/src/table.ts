// A plain-text table for the end-of-run summary.
export function formatTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const fmt = (r: string[]) => r.map((v, c) => (c === 0 || /^[A-Za-z]/.test(v) ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [fmt(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n');
}

export const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
