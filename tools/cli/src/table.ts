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
  /** Encoded pictures: seconds training waited for input, and their fraction of training. */
  inputWaitSeconds?: number;
  inputWaitFraction?: number;
}

/** `12.3s (4%)`, or `-` for a generation trained without the input pool. */
const inputWait = (g: GenerationRow) =>
  g.inputWaitSeconds === undefined
    ? '-'
    : `${g.inputWaitSeconds.toFixed(1)}s` +
      (g.inputWaitFraction === undefined ? '' : ` (${Math.round(g.inputWaitFraction * 100)}%)`);

/**
 * The end-of-run table of teacher and students, for embedded and controller runs alike; an input
 * wait column when some generation trained on encoded pictures.
 */
export function generationTable(rows: GenerationRow[]): string {
  const wait = rows.some((g) => g.inputWaitSeconds !== undefined);
  return formatTable(
    [
      ...['gen', 'role', 'model', 'dev top-1', 'top-1', 'top-5', 'labeled', 'pseudo-labeled', 'replicas', 'seconds'],
      ...(wait ? ['input wait'] : []),
    ],
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
      ...(wait ? [inputWait(g)] : []),
    ]),
  );
}
