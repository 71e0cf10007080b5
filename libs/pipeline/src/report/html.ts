// The run report: one self-contained HTML page (inline SVG and PNG data URIs, no scripts) with
// per-generation accuracy, training curves, pseudo-label class histograms before and after
// balancing, the confidence distribution with per-class thresholds, sample pseudo-labeled images
// and the lineage of every artifact. Written at the end of every run and by `noisy report`.
import { datasetKeys, runKeys } from '@noisy/contracts';
import { decodeSample, decodeTFRecords, encodePng } from '@noisy/data';
import type { ObjectStore } from '@noisy/platform';
import type { ShardStats, Thresholds } from '../balance.js';
import { loadRun, type DatasetInfo } from '../context.js';
import { readManifest, readPart } from '../manifest.js';
import { usesStoredPseudoLabels } from '../plan.js';
import type { EvalData } from '../stages/evaluate.js';
import type { FilterOutputData } from '../stages/filter.js';
import type { TrainData } from '../stages/train.js';
import { barChart, escapeHtml as esc, lineChart, type Series } from './svg.js';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const num = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(v < 10 ? 2 : 0));

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222}h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:6px}.grid div{text-align:center;font-size:11px}.grid img{image-rendering:pixelated;width:56px;height:56px;border:1px solid #ccc}
code{font-size:12px}.muted{color:#777}`;

async function samplesOf(
  store: ObjectStore,
  runId: string,
  g: number,
  shards: number,
  classNames: string[],
  perClass = 4,
): Promise<string> {
  const m = await readManifest(store, runKeys.filteredManifest(runId, g, 0, shards));
  if (!m.parts[0]?.records) return '<p class="muted">no kept examples in shard 0</p>';
  const seen = new Map<number, number>();
  const cells: string[] = [];
  let i = 0;
  for (const rec of decodeTFRecords(await readPart(store, m.parts[0]), m.parts[0].key)) {
    const s = decodeSample(rec, m.parts[0].key, i++, 1);
    const c = s.label!;
    if ((seen.get(c) ?? 0) >= perClass || !s.image) continue;
    seen.set(c, (seen.get(c) ?? 0) + 1);
    const png = Buffer.from(encodePng(s.image)).toString('base64');
    cells.push(
      `<div><img alt="${esc(classNames[c])}" src="data:image/png;base64,${png}"><br>${esc(classNames[c])}<br>${pct(s.probabilities![c])}</div>`,
    );
    if (cells.length >= perClass * classNames.length) break;
  }
  return `<div class="grid">${cells.join('')}</div>`;
}

export async function buildReport(store: ObjectStore, runId: string): Promise<string> {
  const run = await loadRun(store, runId);
  const e = run.experiment;
  const dsKey = datasetKeys.manifest(run.datasetId);
  const info = (await readManifest<DatasetInfo>(store, dsKey)).data;
  const S = info.unlabeled.length;
  const names = info.classNames;
  const gens: Array<{ g: number; metrics: EvalData; train: TrainData }> = [];
  for (const st of e.stages) {
    const mk = runKeys.evalManifest(runId, st.generation);
    if (!(await store.head(mk))) break;
    gens.push({
      g: st.generation,
      metrics: (await readManifest<EvalData>(store, mk)).data,
      train: (await readManifest<TrainData>(store, runKeys.modelManifest(runId, st.generation))).data,
    });
  }
  const label = (g: number) => (g === 0 ? 'teacher' : `gen ${g}`);
  const parts: string[] = [];
  parts.push(
    `<h1>Noisy Student run <code>${esc(runId)}</code></h1><p>${esc(info.name)}: ${info.labeled.records} labeled, ${info.unlabeled.reduce((a, p) => a + p.records, 0)} unlabeled in ${S} shards, ${info.test.reduce((a, p) => a + p.records, 0)} test; ${names.length} classes; seed ${e.seed}; mode ${e.mode}; pseudo-labels ${e.pseudoLabels.kind}.</p>`,
  );
  parts.push('<h2>Accuracy per generation</h2>');
  parts.push(
    `<table><tr><th>generation</th><th>model</th><th>dev top-1</th><th>test top-1</th><th>test top-5</th><th>test ECE</th><th>pseudo-labeled</th></tr>${gens.map(({ g, metrics, train }) => `<tr><td>${label(g)}</td><td>${esc(e.stages[g].model.name)} w${e.stages[g].model.width} d${e.stages[g].model.depth}</td><td>${metrics.dev ? pct(metrics.dev.top1) : '-'}</td><td>${pct(metrics.top1)}</td><td>${pct(metrics.top5)}</td><td>${metrics.ece.toFixed(4)}</td><td>${train.pseudoLabeled}</td></tr>`).join('')}</table>`,
  );
  parts.push(
    barChart(
      'Dev and test accuracy',
      gens.map(({ g }) => label(g)),
      [
        ...(gens.every((x) => x.metrics.dev)
          ? [{ name: 'dev top-1', values: gens.map((x) => x.metrics.dev!.top1) }]
          : []),
        { name: 'top-1', values: gens.map((x) => x.metrics.top1) },
        { name: 'top-5', values: gens.map((x) => x.metrics.top5) },
      ],
      pct,
      1,
    ),
  );
  parts.push(
    barChart(
      'Per-class top-1',
      names,
      gens.map(({ g, metrics }) => ({ name: label(g), values: metrics.perClass })),
      pct,
      1,
    ),
  );
  parts.push('<h2>Training curves</h2>');
  parts.push(
    lineChart(
      'Training loss per epoch',
      gens.map(({ g, train }) => ({ name: label(g), values: train.epochs.map((r) => r.loss) })),
      (v) => v.toFixed(2),
    ),
  );
  for (const { g } of gens.filter((x) => usesStoredPseudoLabels(e, x.g))) {
    const t = (await readManifest<Thresholds>(store, runKeys.thresholds(runId, g))).data;
    const stats = await Promise.all(
      Array.from(
        { length: S },
        async (_, s) => (await readManifest<ShardStats>(store, runKeys.filterStats(runId, g, s, S))).data,
      ),
    );
    const outs = await Promise.all(
      Array.from(
        { length: S },
        async (_, s) => (await readManifest<FilterOutputData>(store, runKeys.filteredManifest(runId, g, s, S))).data,
      ),
    );
    const before = names.map((_, c) => stats.reduce((a, st) => a + st.histogram[c].reduce((x, y) => x + y, 0), 0));
    const after = names.map((_, c) => outs.reduce((a, o) => a + o.keptPerClass[c], 0));
    const bins = Array.from({ length: 20 }, (_, b) =>
      stats.reduce(
        (a, st) =>
          a +
          st.histogram.reduce(
            (x, h) => x + h.slice(b * 5, b * 5 + 5).reduce((p, q) => p + q, 0) + (b === 19 ? h[100] : 0),
            0,
          ),
        0,
      ),
    );
    parts.push(`<h2>Pseudo-labels for generation ${g} (teacher: ${label(g - 1)})</h2>`);
    parts.push(
      barChart(
        'Predicted class: before and after balancing',
        names,
        [
          { name: 'predicted', values: before },
          { name: 'kept copies', values: after },
        ],
        num,
      ),
    );
    parts.push(
      barChart(
        'Teacher confidence (max probability)',
        bins.map((_, b) => (b / 20).toFixed(2)),
        [{ name: 'images', values: bins }],
        num,
      ),
    );
    parts.push(
      barChart(
        'Per-class threshold t*',
        names,
        [{ name: 'threshold', values: t.classes.map((x) => x.bin / 100) } as Series],
        (v) => v.toFixed(2),
        1,
      ),
    );
    parts.push(`<p>Target N = ${t.perClass} per class; min threshold ${t.minBin / 100}; mode ${t.mode}.</p>`);
    parts.push(`<h3>Sample kept images with teacher confidence</h3>${await samplesOf(store, runId, g, S, names)}`);
  }
  parts.push('<h2>Lineage</h2><table><tr><th>artifact</th><th>kind</th><th>parents</th></tr>');
  const keys = (await store.list(`runs/${runId}/`)).filter((k) => k.endsWith('manifest.json'));
  for (const k of [dsKey, ...keys]) {
    const m = await readManifest(store, k);
    parts.push(
      `<tr><td><code>${esc(k)}</code></td><td>${esc(m.kind)}</td><td>${m.parents.map((p) => `<code>${esc(p)}</code>`).join('<br>')}</td></tr>`,
    );
  }
  parts.push('</table>');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Noisy Student: ${esc(runId)}</title><style>${STYLE}</style></head><body>${parts.join('\n')}</body></html>\n`;
}

/** Build and store `runs/<id>/report.html`; returns its key. */
export async function writeReport(store: ObjectStore, runId: string): Promise<string> {
  const html = await buildReport(store, runId);
  await store.put(runKeys.report(runId), html);
  return runKeys.report(runId);
}
