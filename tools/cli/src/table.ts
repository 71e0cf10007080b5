// A plain-text table for the end-of-run summary.
export function formatTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const fmt = (r: string[]) =>
    r
      .map((v, c) => (c === 0 || /^[A-Za-z]/.test(v) ? v.padEnd(widths[c]) : v.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [fmt(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n');
}

export const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export interface GenerationRow {
  generation: number;
  role: string;
  model: string;
  top1: number;
  top5: number;
  /** Dev split metrics (absent or null without a dev split). */
  dev?: { top1: number } | null;
  labeled: number;
  pseudoLabeled: number;
  /** Data-parallel ranks of the train step (not in the controller's summaries yet: shown as -). */
  replicas?: number;
  seconds: number;
}

/** The end-of-run table of teacher and students, for embedded and controller runs alike. */
export function generationTable(rows: GenerationRow[]): string {
  return formatTable(
    ['gen', 'role', 'model', 'dev top-1', 'top-1', 'top-5', 'labeled', 'pseudo-labeled', 'replicas', 'seconds'],
    rows.map((g) => [
      g.generation,
      g.role,
      g.model,
      g.dev ? pct(g.dev.top1) : '-',
      pct(g.top1),
      pct(g.top5),
      g.labeled,
      g.pseudoLabeled,
      g.replicas ?? '-',
      g.seconds.toFixed(1),
    ]),
  );
}
