// The run report: one self-contained HTML page (inline SVG and PNG data URIs, no scripts) with
// per-generation accuracy, training curves, pseudo-label class histograms before and after
// balancing, the confidence distribution with per-class thresholds, sample pseudo-labeled images
// and the lineage of every artifact. This file is the template: it renders a ReportModel
// (report-model.ts). Written after a run by whoever drove it, and by `noisy report`.
import { runKeys } from '@noisy/contracts';
import type { ObjectStore } from '@noisy/platform';
import {
  CONFIDENCE_BUCKETS,
  buildReportModel,
  type GenerationRow,
  type PseudoLabelView,
  type ReportModel,
} from './report-model.js';
import { barChart, escapeHtml as esc, lineChart } from './svg.js';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const num = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(v < 10 ? 2 : 0));
const code = (s: string) => `<code>${esc(s)}</code>`;

const STYLE = [
  'body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222}',
  'h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}',
  'figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}',
  'table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}',
  'th:first-child,td:first-child{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:6px}',
  '.grid div{text-align:center;font-size:11px}',
  '.grid img{image-rendering:pixelated;width:56px;height:56px;border:1px solid #ccc}',
  'code{font-size:12px}.muted{color:#777}',
].join('\n');

/** A table; cells are HTML already escaped by the caller. */
function table(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  return `<table>${head}${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
}

function header(m: ReportModel): string {
  const d = m.dataset;
  const counts = `${d.labeled} labeled, ${d.unlabeled} unlabeled in ${d.shards} shards, ${d.test} test`;
  const setup = `${m.classNames.length} classes; seed ${m.seed}; mode ${m.mode}; pseudo-labels ${m.pseudoLabelKind}`;
  return `<h1>Noisy Student run ${code(m.runId)}</h1><p>${esc(d.name)}: ${counts}; ${esc(setup)}.</p>`;
}

function accuracy(m: ReportModel): string[] {
  const gens = m.generations;
  const row = (g: GenerationRow) => [
    g.label,
    `${esc(g.model.name)} w${g.model.width} d${g.model.depth}`,
    g.dev ? pct(g.dev.top1) : '-',
    pct(g.top1),
    pct(g.top5),
    g.ece.toFixed(4),
    String(g.pseudoLabeled),
  ];
  const headers = ['generation', 'model', 'dev top-1', 'test top-1', 'test top-5', 'test ECE', 'pseudo-labeled'];
  return [
    '<h2>Accuracy per generation</h2>',
    table(headers, gens.map(row)),
    barChart(
      'Dev and test accuracy',
      gens.map((g) => g.label),
      [
        ...(gens.every((g) => g.dev) ? [{ name: 'dev top-1', values: gens.map((g) => g.dev!.top1) }] : []),
        { name: 'top-1', values: gens.map((g) => g.top1) },
        { name: 'top-5', values: gens.map((g) => g.top5) },
      ],
      pct,
      1,
    ),
    barChart(
      'Per-class top-1',
      m.classNames,
      gens.map((g) => ({ name: g.label, values: g.perClass })),
      pct,
      1,
    ),
    '<h2>Training curves</h2>',
    lineChart(
      'Training loss per epoch',
      gens.map((g) => ({ name: g.label, values: g.lossPerEpoch, x: g.epochs })),
      (v) => v.toFixed(2),
    ),
    ...(gens.some((g) => g.curve.step.length)
      ? [
          lineChart(
            'Training loss per step',
            gens.map((g) => ({ name: g.label, values: g.curve.loss, x: g.curve.step })),
            (v) => v.toFixed(2),
            'step',
          ),
          lineChart(
            'Learning rate per step',
            gens.map((g) => ({ name: g.label, values: g.curve.lr, x: g.curve.step })),
            (v) => v.toPrecision(2),
            'step',
          ),
        ]
      : []),
  ];
}

function samples(p: PseudoLabelView): string {
  if (!p.samples.length) return '<p class="muted">no kept examples in shard 0</p>';
  const cells = p.samples.map(
    (s) =>
      `<div><img alt="${esc(s.className)}" src="data:image/png;base64,${s.png}">` +
      `<br>${esc(s.className)}<br>${pct(s.confidence)}</div>`,
  );
  return `<div class="grid">${cells.join('')}</div>`;
}

function pseudoLabels(m: ReportModel, p: PseudoLabelView): string[] {
  const buckets = Array.from({ length: CONFIDENCE_BUCKETS }, (_, b) => (b / CONFIDENCE_BUCKETS).toFixed(2));
  return [
    `<h2>Pseudo-labels for generation ${p.generation} (predicted by ${p.generation === 1 ? 'the teacher' : p.teacherLabel})</h2>`,
    barChart(
      'Predicted class: before and after balancing',
      m.classNames,
      [
        { name: 'predicted', values: p.predictedPerClass },
        { name: 'kept copies', values: p.keptPerClass },
      ],
      num,
    ),
    barChart('Teacher confidence (max probability)', buckets, [{ name: 'images', values: p.confidence }], num),
    barChart(
      'Per-class threshold t*',
      m.classNames,
      [{ name: 'threshold', values: p.thresholdPerClass }],
      (v) => v.toFixed(2),
      1,
    ),
    `<p>Target N = ${p.perClassTarget} per class; min threshold ${p.minThreshold}; mode ${esc(p.mode)}.</p>`,
    `<h3>Sample kept images with teacher confidence</h3>${samples(p)}`,
  ];
}

function lineage(m: ReportModel): string {
  const rows = m.lineage.map((l) => [code(l.key), esc(l.kind), l.parents.map(code).join('<br>')]);
  return `<h2>Lineage</h2>${table(['artifact', 'kind', 'parents'], rows)}`;
}

/** Render the report's model as one self-contained page. */
export function renderReport(m: ReportModel): string {
  const body = [header(m), ...accuracy(m), ...m.pseudoLabels.flatMap((p) => pseudoLabels(m, p)), lineage(m)].join('\n');
  const head = `<meta charset="utf-8"><title>Noisy Student: ${esc(m.runId)}</title><style>${STYLE}</style>`;
  return `<!doctype html><html lang="en"><head>${head}</head><body>${body}</body></html>\n`;
}

export async function buildReport(store: ObjectStore, runId: string): Promise<string> {
  return renderReport(await buildReportModel(store, runId));
}

/** Build and store `runs/<id>/report.html`; returns its key. */
export async function writeReport(store: ObjectStore, runId: string): Promise<string> {
  await store.put(runKeys.report(runId), await buildReport(store, runId));
  return runKeys.report(runId);
}
