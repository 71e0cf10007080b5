// Filtering and balancing over shards: stats (map, one per shard) -> thresholds (reduce, needs
// every shard) -> output (one per shard: each kept prediction written `copies` times with its
// image and teacher distribution, in the original's schema, seeded-shuffled).
import { createRng, shuffleInPlace, type CompiledExperiment } from '@noisy/core';
import { datasetKeys, runKeys, type Task } from '@noisy/contracts';
import { encodeJpeg, encodeSample, encodeTFRecords, type Sample } from '@noisy/data';
import { computeThresholds, copiesFor, shardStats, type ShardStats, type Thresholds } from '../balance.js';
import { loadRun, readSamples, type DatasetInfo, type StageContext } from '../context.js';
import { putPart, readManifest, readPart, writeManifest, type Manifest } from '../manifest.js';
import { decodePredictions } from '../predictions.js';

async function setup(ctx: StageContext, task: Task) {
  const run = await loadRun(ctx.store, task.runId);
  const dsKey = datasetKeys.manifest(run.datasetId);
  const info = (await readManifest<DatasetInfo>(ctx.store, dsKey)).data;
  return { run, e: run.experiment, info, dsKey, S: info.unlabeled.length, classes: info.classNames.length };
}

/** N: the configured target per class, or the unlabeled count spread evenly over the classes. */
export function targetPerClass(e: CompiledExperiment, unlabeled: number, classes: number): number {
  return e.filter.perClass === 'auto' ? Math.max(1, Math.floor(unlabeled / classes)) : e.filter.perClass;
}

export async function filterStatsStage(ctx: StageContext, task: Task): Promise<string> {
  const { info, e, S, classes } = await setup(ctx, task);
  const { runId, generation: g, shard } = task;
  const key = runKeys.filterStats(runId, g, shard, S);
  if (await ctx.store.head(key)) return key;
  const started = performance.now();
  const predKey = runKeys.predictionsManifest(runId, g, shard, S);
  const pm = await readManifest(ctx.store, predKey);
  const bytes = await readPart(ctx.store, pm.parts[0]);
  const unlabeled = info.unlabeled.reduce((a, p) => a + p.records, 0);
  const topN = e.filter.mode === 'top-n' ? targetPerClass(e, unlabeled, classes) : null;
  const stats = shardStats(decodePredictions(bytes, pm.parts[0].key), classes, topN);
  const m: Manifest<ShardStats> = {
    kind: 'filter-stats',
    parts: [],
    counts: { examples: pm.counts.examples },
    parents: [predKey],
    config: e.filter,
    data: stats,
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  await writeManifest(ctx.store, key, m);
  return key;
}

export async function filterThresholdsStage(ctx: StageContext, task: Task): Promise<string> {
  const { info, e, S, classes } = await setup(ctx, task);
  const { runId, generation: g } = task;
  const key = runKeys.thresholds(runId, g);
  if (await ctx.store.head(key)) return key;
  const started = performance.now();
  const keys = Array.from({ length: S }, (_, s) => runKeys.filterStats(runId, g, s, S));
  const shards = await Promise.all(keys.map(async (k) => (await readManifest<ShardStats>(ctx.store, k)).data));
  const unlabeled = info.unlabeled.reduce((a, p) => a + p.records, 0);
  const t = computeThresholds(shards, targetPerClass(e, unlabeled, classes), e.filter);
  const m: Manifest<Thresholds> = {
    kind: 'filter-thresholds',
    parts: [],
    counts: { shards: S, expectedKept: t.expectedKept },
    parents: keys,
    config: e.filter,
    data: t,
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  await writeManifest(ctx.store, key, m);
  return key;
}

export interface FilterOutputData {
  keptPerClass: number[];
  uniquePerClass: number[];
}

export async function filterOutputStage(ctx: StageContext, task: Task): Promise<string> {
  const { info, e, S, classes } = await setup(ctx, task);
  const { runId, generation: g, shard } = task;
  const key = runKeys.filteredManifest(runId, g, shard, S);
  if (await ctx.store.head(key)) return key;
  const started = performance.now();
  const tKey = runKeys.thresholds(runId, g);
  const thresholds = (await readManifest<Thresholds>(ctx.store, tKey)).data;
  const predKey = runKeys.predictionsManifest(runId, g, shard, S);
  const pm = await readManifest(ctx.store, predKey);
  const preds = [...decodePredictions(await readPart(ctx.store, pm.parts[0]), pm.parts[0].key)];
  const images = await readSamples(ctx.store, info.unlabeled[shard], (info.shape[2] ?? 3) as 1 | 3);
  if (images.length !== preds.length)
    throw new Error(
      `${pm.parts[0].key}: ${preds.length} predictions for ${images.length} images in ${info.unlabeled[shard].key}`,
    );
  const rng = createRng(e.seed).fork(`filter:${g}:${shard}`);
  const kept: Sample[] = [];
  const keptPerClass = new Array<number>(classes).fill(0),
    uniquePerClass = new Array<number>(classes).fill(0);
  preds.forEach((p, i) => {
    if (images[i].id !== p.id)
      throw new Error(`${pm.parts[0].key} (record ${i}): prediction for '${p.id}' but the image is '${images[i].id}'`);
    const copies = copiesFor(p, thresholds, rng);
    if (copies > 0) uniquePerClass[p.label]++;
    const encoded =
      copies > 0 && e.filter.encode === 'jpeg' && images[i].image ? encodeJpeg(images[i].image!) : undefined;
    for (let c = 0; c < copies; c++) kept.push({ ...images[i], probabilities: p.probabilities, encoded });
    keptPerClass[p.label] += copies;
  });
  shuffleInPlace(kept, rng);
  const part = await putPart(
    ctx.store,
    runKeys.filtered(runId, g, shard, S),
    encodeTFRecords(kept.map(encodeSample)),
    kept.length,
  );
  const m: Manifest<FilterOutputData> = {
    kind: 'filter-output',
    parts: [part],
    counts: { kept: kept.length, unique: uniquePerClass.reduce((a, b) => a + b, 0), examples: preds.length },
    parents: [tKey, predKey, datasetKeys.manifest(info.datasetId)],
    config: e.filter,
    data: { keptPerClass, uniquePerClass },
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  await writeManifest(ctx.store, key, m);
  return key;
}
