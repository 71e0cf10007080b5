// Filtering and balancing over shards: stats (map, one per shard) -> thresholds (reduce, needs
// every shard) -> output (one per shard: each kept prediction written `copies` times with its
// image and teacher distribution, in the original's schema, seeded-shuffled). Every filter setting
// comes from the experiment's `filter`; the manifests carry only what was computed.
import { DataError, createRng, shuffleInPlace, type CompiledExperiment } from '@noisy/core';
import { runKeys, type Task } from '@noisy/contracts';
import { encodeJpeg, encodeSample, encodeTFRecords, type Sample } from '@noisy/data';
import { computeThresholds, copiesFor, shardStats } from '../balance.js';
import type { StageContext } from '../context.js';
import { attemptKey, commitStep, putPart, readManifest, readPart } from '../manifest.js';
import { decodePredictions } from '../predictions.js';
import { loadRunView, type RunView } from '../run-view.js';

/** N: the configured target per class, or the unlabeled count spread evenly over the classes. */
export function targetPerClass(e: CompiledExperiment, unlabeled: number, classes: number): number {
  return e.filter.perClass === 'auto' ? Math.max(1, Math.floor(unlabeled / classes)) : e.filter.perClass;
}

const perClassOf = (run: RunView) => targetPerClass(run.experiment, run.unlabeledCount, run.classes);

export async function filterStatsStage(ctx: StageContext, task: Task): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRunView(ctx.store, runId);
  const e = run.experiment;
  return commitStep(ctx.store, runKeys.filterStats(runId, g, shard, run.shards), 'filter-stats', async () => {
    const predKey = runKeys.predictionsManifest(runId, g, shard, run.shards);
    const pm = await readManifest(ctx.store, predKey, 'predictions');
    const bytes = await readPart(ctx.store, pm.parts[0]);
    const topN = e.filter.mode === 'top-n' ? perClassOf(run) : null;
    return {
      parts: [],
      counts: { examples: pm.counts.examples },
      parents: [predKey],
      config: e.filter,
      data: shardStats(decodePredictions(bytes, pm.parts[0].key), run.classes, topN),
    };
  });
}

export async function filterThresholdsStage(ctx: StageContext, task: Task): Promise<string> {
  const { runId, generation: g } = task;
  const run = await loadRunView(ctx.store, runId);
  const { experiment: e, shards: S } = run;
  return commitStep(ctx.store, runKeys.thresholds(runId, g), 'filter-thresholds', async () => {
    const keys = Array.from({ length: S }, (_, s) => runKeys.filterStats(runId, g, s, S));
    const stats = await Promise.all(keys.map(async (k) => (await readManifest(ctx.store, k, 'filter-stats')).data));
    const t = computeThresholds(stats, perClassOf(run), e.filter);
    return {
      parts: [],
      counts: { shards: S, expectedKept: t.expectedKept },
      parents: keys,
      config: e.filter,
      data: t,
    };
  });
}

export interface FilterOutputData {
  keptPerClass: number[];
  uniquePerClass: number[];
}

export async function filterOutputStage(ctx: StageContext, task: Task): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRunView(ctx.store, runId);
  const { experiment: e, shards: S, classes } = run;
  return commitStep(ctx.store, runKeys.filteredManifest(runId, g, shard, S), 'filter-output', async (attempt) => {
    const tKey = runKeys.thresholds(runId, g);
    const thresholds = (await readManifest(ctx.store, tKey, 'filter-thresholds')).data;
    const predKey = runKeys.predictionsManifest(runId, g, shard, S);
    const pm = await readManifest(ctx.store, predKey, 'predictions');
    const predPart = pm.parts[0];
    const preds = [...decodePredictions(await readPart(ctx.store, predPart), predPart.key)];
    const input = run.info.unlabeled[shard];
    const images = await run.samples(input);
    if (images.length !== preds.length)
      throw new DataError(predPart.key, `${preds.length} predictions for ${images.length} images in ${input.key}`);
    const rng = createRng(e.seed).fork(`filter:${g}:${shard}`);
    const kept: Sample[] = [];
    const keptPerClass = new Array<number>(classes).fill(0);
    const uniquePerClass = new Array<number>(classes).fill(0);
    preds.forEach((p, i) => {
      if (images[i].id !== p.id)
        throw new DataError(predPart.key, `prediction for '${p.id}' but the image is '${images[i].id}'`, i);
      const copies = copiesFor(p, thresholds, e.filter, rng);
      if (copies > 0) uniquePerClass[p.label]++;
      const image = images[i].image;
      const encoded = copies > 0 && e.filter.encode === 'jpeg' && image ? encodeJpeg(image) : undefined;
      for (let c = 0; c < copies; c++) kept.push({ ...images[i], probabilities: p.probabilities, encoded });
      keptPerClass[p.label] += copies;
    });
    shuffleInPlace(kept, rng);
    const bytes = encodeTFRecords(kept.map(encodeSample));
    const part = await putPart(
      ctx.store,
      attemptKey(runKeys.filtered(runId, g, shard, S), attempt),
      bytes,
      kept.length,
    );
    return {
      parts: [part],
      counts: { kept: kept.length, unique: uniquePerClass.reduce((a, b) => a + b, 0), examples: preds.length },
      parents: [tKey, predKey, run.datasetKey],
      config: e.filter,
      data: { keptPerClass, uniquePerClass },
    };
  });
}
