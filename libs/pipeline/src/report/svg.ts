// Tiny SVG chart builders for the self-contained HTML report (no scripts, no external assets).
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
export const escapeHtml = esc;

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export interface Series {
  name: string;
  values: number[];
  /** x of each value (steps); absent = 0, 1, 2, ... (epochs). */
  x?: number[];
  color?: string;
}

const colorOf = (s: Series, i: number) => s.color ?? PALETTE[i % PALETTE.length];

// Below the plot (B): x tick values, the x axis name, then the legend.
const W = 560,
  H = 256,
  L = 48,
  R = 12,
  T = 12,
  B = 56;

function frame(body: string, title: string, yMax: number, yFmt: (v: number) => string, legend: Series[]): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = T + (H - T - B) * (1 - f);
      const label = `<text x="${L - 6}" y="${y + 4}" text-anchor="end" font-size="10">${esc(yFmt(yMax * f))}</text>`;
      return `<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#eee"/>${label}`;
    })
    .join('');
  const keys = legend
    .map(
      (s, i) =>
        `<rect x="${L + i * 120}" y="${H - 14}" width="10" height="10" fill="${colorOf(s, i)}"/>` +
        `<text x="${L + 14 + i * 120}" y="${H - 5}" font-size="11">${esc(s.name)}</text>`,
    )
    .join('');
  const svg = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`;
  return `<figure><figcaption>${esc(title)}</figcaption>${svg}${ticks}${body}${keys}</svg></figure>`;
}

/** Grouped bars: one group per label, one bar per series. */
export function barChart(
  title: string,
  labels: string[],
  series: Series[],
  yFmt: (v: number) => string,
  yMax?: number,
): string {
  const max = yMax ?? Math.max(1e-9, ...series.flatMap((s) => s.values));
  const gw = (W - L - R) / Math.max(1, labels.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  let body = '';
  labels.forEach((lab, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const h = ((H - T - B) * v) / max;
      const x = L + i * gw + gw * 0.1 + j * bw;
      const box =
        `x="${x.toFixed(1)}" y="${(H - B - h).toFixed(1)}" ` +
        `width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}"`;
      body += `<rect ${box} fill="${colorOf(s, j)}"><title>${esc(`${s.name} ${lab}: ${yFmt(v)}`)}</title></rect>`;
    });
    const short = lab.length > 12 ? `${lab.slice(0, 11)}…` : lab;
    const at = `x="${(L + i * gw + gw / 2).toFixed(1)}" y="${H - B + 12}"`;
    body += `<text ${at} text-anchor="middle" font-size="10">${esc(short)}</text>`;
  });
  return frame(body, title, max, yFmt, series);
}

/** Five ticks along the x axis (0 to xMax, whole numbers), with their values below it. */
function xTicks(xMax: number, x: (v: number) => number): string {
  const values = [...new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(xMax * f)))];
  return values
    .map(
      (v) =>
        `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${H - B}" y2="${H - B + 4}" stroke="#999"/>` +
        `<text x="${x(v).toFixed(1)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${v}</text>`,
    )
    .join('');
}

/** Lines over a shared x axis: epochs (value index) or the series' own x values (steps). */
export function lineChart(title: string, series: Series[], yFmt: (v: number) => string, xLabel = 'epoch'): string {
  const xOf = (s: Series, i: number) => s.x?.[i] ?? i;
  const xMax = Math.max(1, ...series.map((s) => (s.values.length ? xOf(s, s.values.length - 1) : 0)));
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const x = (v: number) => L + ((W - L - R) * v) / xMax;
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const body =
    series
      .map(
        (s, j) =>
          `<polyline fill="none" stroke-width="2" stroke="${colorOf(s, j)}" ` +
          `points="${s.values.map((v, i) => `${x(xOf(s, i)).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
      )
      .join('') +
    xTicks(xMax, x) +
    `<text x="${(W + L) / 2}" y="${H - B + 26}" text-anchor="middle" font-size="10">${esc(xLabel)}</text>`;
  return frame(body, title, max, yFmt, series);
}
