// What users asked the original for: the filtered pseudo-labeled set with each example's id,
// teacher class, confidence, copies kept and its class's threshold (the "clean set"), and the
// labeled examples whose given label a model confidently contradicts (the "noisy instances").
import { thresholdOf } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { decodeTFRecords, decodeSample } from '@noisy/data';
import { predictProbabilities } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';
import { readManifest, readPart } from './manifest.js';
import type { ModelCache } from './model-cache.js';
import { loadRunView } from './run-view.js';

export interface FilteredRow {
  id: string;
  teacherClass: number;
  className: string;
  confidence: number;
  copies: number;
  threshold: number;
  shard: number;
}

/** The filtered set of generation g (g >= 1), one row per unique example, in shard order. */
export async function exportFiltered(store: ObjectStore, runId: string, g: number): Promise<FilteredRow[]> {
  const { info, shards: S } = await loadRunView(store, runId);
  const thresholds = (await readManifest(store, runKeys.thresholds(runId, g), 'filter-thresholds')).data;
  const rows: FilteredRow[] = [];
  for (let s = 0; s < S; s++) {
    const m = await readManifest(store, runKeys.filteredManifest(runId, g, s, S), 'filter-output');
    const byId = new Map<string, FilteredRow>();
    let i = 0;
    for (const rec of decodeTFRecords(await readPart(store, m.parts[0]), m.parts[0].key)) {
      const x = decodeSample(rec, m.parts[0].key, i++, 1);
      const row = byId.get(x.id);
      if (row) {
        row.copies++;
        continue;
      }
      const label = x.label!;
      byId.set(x.id, {
        id: x.id,
        teacherClass: label,
        className: info.classNames[label],
        confidence: x.probabilities![label],
        copies: 1,
        threshold: thresholdOf(thresholds.classes[label].bin),
        shard: s,
      });
    }
    const shardRows = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of shardRows) rows.push(r); // no spread: a shard can hold millions of rows
  }
  return rows;
}

export interface LabelIssue {
  id: string;
  givenClass: number;
  givenName: string;
  predictedClass: number;
  predictedName: string;
  confidence: number;
  givenProbability: number;
}

/**
 * Labeled examples whose given label the model of generation `g` contradicts with confidence at
 * least `minConfidence`, most confident first.
 */
export async function findLabelIssues(
  store: ObjectStore,
  runId: string,
  g: number,
  models: ModelCache,
  minConfidence = 0.8,
): Promise<LabelIssue[]> {
  const run = await loadRunView(store, runId);
  const { info, classes } = run;
  const samples = await run.samples(info.labeled);
  const labels = run.labels(samples, info.labeled.key);
  const { model } = await models.generation(store, runId, g);
  const probs = await predictProbabilities(
    model,
    run.inputs(samples, info.labeled.key),
    info.stats,
    run.experiment.predictBatchSize,
  );
  const issues: LabelIssue[] = [];
  samples.forEach((s, i) => {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
    if (best !== labels[i] && row[best] >= minConfidence) {
      issues.push({
        id: s.id,
        givenClass: labels[i],
        givenName: info.classNames[labels[i]],
        predictedClass: best,
        predictedName: info.classNames[best],
        confidence: row[best],
        givenProbability: row[labels[i]],
      });
    }
  });
  return issues.sort((a, b) => b.confidence - a.confidence);
}
