// The report's model: plain data built from a run's committed manifests (and a few kept sample
// images), with no markup, so the template renders it and tests can assert on numbers.
import { BINS, GRID_STEPS, thresholdOf } from '@noisy/core';
import { datasetKeys, runKeys } from '@noisy/contracts';
import { decodeSample, encodePng } from '@noisy/data';
import type { ObjectStore } from '@noisy/platform';
import { readRecords } from '../records/manifest.js';
import { usesStoredPseudoLabels } from '../records/plan.js';
import { loadRunView, type RunView } from '../records/run-view.js';
import { readCurve, type CurvePoint } from '../records/train-curve.js';
import { readManifest } from '../stages/manifests.js';

const curveOf = (points: CurvePoint[]) => ({
  step: points.map((p) => p.step),
  loss: points.map((p) => p.loss),
  lr: points.map((p) => p.lr),
});

/** Buckets of the teacher-confidence histogram (each spans GRID_STEPS / 20 grid bins). */
export const CONFIDENCE_BUCKETS = 20;

export interface GenerationRow {
  generation: number;
  /** 'teacher' or 'gen <g>'. */
  label: string;
  model: { name: string; width: number; depth: number };
  top1: number;
  top5: number;
  ece: number;
  /** Top-1, top-5 and ECE on the dev split; null without one. */
  dev: { top1: number; top5: number; ece: number } | null;
  perClass: number[];
  pseudoLabeled: number;
  lossPerEpoch: number[];
  /** The epoch number of each loss (1-based, as training counts them). */
  epochs: number[];
  /** The per-step curve as training reported it (empty for runs without one). */
  curve: { step: number[]; loss: number[]; lr: number[] };
}

export interface SampleImage {
  className: string;
  confidence: number;
  /** PNG, base64. */
  png: string;
}

/** Filtering of one offline generation's pseudo-labels. */
export interface PseudoLabelView {
  generation: number;
  teacherLabel: string;
  predictedPerClass: number[];
  keptPerClass: number[];
  /** Images per confidence bucket [0, 0.05), ..., [0.95, 1]. */
  confidence: number[];
  thresholdPerClass: number[];
  perClassTarget: number;
  minThreshold: number;
  mode: string;
  /** Up to `SAMPLES_PER_CLASS` kept images per class from shard 0 (empty when it kept none). */
  samples: SampleImage[];
}

export interface LineageRow {
  key: string;
  kind: string;
  parents: string[];
}

export interface ReportModel {
  runId: string;
  dataset: { name: string; labeled: number; unlabeled: number; shards: number; test: number };
  classNames: string[];
  seed: number;
  mode: string;
  pseudoLabelKind: string;
  generations: GenerationRow[];
  pseudoLabels: PseudoLabelView[];
  lineage: LineageRow[];
}

const SAMPLES_PER_CLASS = 4;
const generationLabel = (g: number) => (g === 0 ? 'teacher' : `gen ${g}`);

async function samplesOf(run: RunView, g: number): Promise<SampleImage[]> {
  const { store, runId, shards, info } = run;
  const m = await readManifest(store, runKeys.filteredManifest(runId, g, 0, shards), 'filter-output');
  const part = m.parts[0];
  if (!part?.records) return [];
  const seen = new Map<number, number>();
  const out: SampleImage[] = [];
  let i = 0;
  for await (const rec of readRecords(store, part)) {
    const s = decodeSample(rec, part.key, i++, 1);
    const c = s.label!;
    if ((seen.get(c) ?? 0) >= SAMPLES_PER_CLASS || !s.image) continue;
    seen.set(c, (seen.get(c) ?? 0) + 1);
    const png = Buffer.from(encodePng(s.image)).toString('base64');
    out.push({ className: info.classNames[c], confidence: s.probabilities![c], png });
    if (out.length >= SAMPLES_PER_CLASS * info.classNames.length) break;
  }
  return out;
}

async function pseudoLabelsOf(run: RunView, g: number): Promise<PseudoLabelView> {
  const { store, runId, shards: S, experiment: e, classes } = run;
  const t = (await readManifest(store, runKeys.thresholds(runId, g), 'filter-thresholds')).data;
  const shardKeys = Array.from({ length: S }, (_, s) => s);
  const stats = await Promise.all(
    shardKeys.map(async (s) => (await readManifest(store, runKeys.filterStats(runId, g, s, S), 'filter-stats')).data),
  );
  const outs = await Promise.all(
    shardKeys.map(
      async (s) => (await readManifest(store, runKeys.filteredManifest(runId, g, s, S), 'filter-output')).data,
    ),
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const perClass = Array.from({ length: classes }, (_, c) => c);
  const width = GRID_STEPS / CONFIDENCE_BUCKETS;
  // Bucket b holds bins [b * width, (b + 1) * width); the last also holds bin 100 (p >= 1).
  const bucketOf = (bin: number) => Math.min(CONFIDENCE_BUCKETS - 1, Math.floor(bin / width));
  const confidence = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
  for (const st of stats) for (const h of st.histogram) for (let j = 0; j < BINS; j++) confidence[bucketOf(j)] += h[j];
  return {
    generation: g,
    teacherLabel: generationLabel(g - 1),
    predictedPerClass: perClass.map((c) => sum(stats.map((st) => sum(st.histogram[c])))),
    keptPerClass: perClass.map((c) => sum(outs.map((o) => o.keptPerClass[c]))),
    confidence,
    thresholdPerClass: t.classes.map((x) => thresholdOf(x.bin)),
    perClassTarget: t.perClass,
    minThreshold: e.filter.minThreshold,
    mode: e.filter.mode,
    samples: await samplesOf(run, g),
  };
}

/** Everything the report shows, from the run's committed manifests (generations stop at the first unevaluated one). */
export async function buildReportModel(store: ObjectStore, runId: string): Promise<ReportModel> {
  const run = await loadRunView(store, runId);
  const { experiment: e, info } = run;
  const generations: GenerationRow[] = [];
  for (const st of e.stages) {
    const g = st.generation;
    const evalKey = runKeys.evalManifest(runId, g);
    if (!(await store.head(evalKey))) break;
    const metrics = (await readManifest(store, evalKey, 'evaluation')).data;
    const train = (await readManifest(store, runKeys.modelManifest(runId, g), 'model')).data;
    generations.push({
      generation: g,
      label: generationLabel(g),
      model: { name: st.model.name, width: st.model.width, depth: st.model.depth },
      top1: metrics.top1,
      top5: metrics.top5,
      ece: metrics.ece,
      dev: metrics.dev ? { top1: metrics.dev.top1, top5: metrics.dev.top5, ece: metrics.dev.ece } : null,
      perClass: metrics.perClass,
      pseudoLabeled: train.pseudoLabeled,
      lossPerEpoch: train.epochs.map((r) => r.loss),
      epochs: train.epochs.map((r) => r.epoch),
      curve: curveOf(await readCurve(store, runId, g)),
    });
  }
  const pseudoLabels: PseudoLabelView[] = [];
  for (const { generation } of generations.filter((x) => usesStoredPseudoLabels(e, x.generation)))
    pseudoLabels.push(await pseudoLabelsOf(run, generation));
  const keys = (await store.list(`${runKeys.root(runId)}/`)).filter((k) => k.endsWith('manifest.json'));
  const lineage: LineageRow[] = [];
  for (const key of [datasetKeys.manifest(run.record.datasetId), ...keys]) {
    const m = await readManifest(store, key);
    lineage.push({ key, kind: m.kind, parents: m.parents });
  }
  const records = (parts: Array<{ records: number }>) => parts.reduce((a, p) => a + p.records, 0);
  return {
    runId,
    dataset: {
      name: info.name,
      labeled: records(info.labeled),
      unlabeled: records(info.unlabeled),
      shards: run.shards,
      test: records(info.test),
    },
    classNames: info.classNames,
    seed: e.seed,
    mode: e.mode,
    pseudoLabelKind: e.pseudoLabels.kind,
    generations,
    pseudoLabels,
    lineage,
  };
}
