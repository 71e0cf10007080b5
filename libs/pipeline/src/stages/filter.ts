// Filtering and balancing over shards: stats (map, one per shard) -> thresholds (reduce, needs
// every shard) -> output (one per shard: each kept prediction written `copies` times with its
// image and teacher distribution, in the original's schema). Every filter setting comes from the
// experiment's `filter`; the manifests carry only what was computed. Predictions, images and the
// kept records stream in lockstep: nothing is held (the trainer shuffles the set it reads).
import { DataError, createRng, type CompiledExperiment } from '@noisy/core';
import { runKeys, type Task } from '@noisy/contracts';
import { encodeJpeg, encodeSample } from '@noisy/data';
import { computeThresholds, copiesFor, shardStatsAccumulator } from '../analysis/balance.js';
import type { StageContext } from '../records/context.js';
import { attemptKey, putRecords } from '../records/manifest.js';
import { streamPredictions } from '../records/predictions.js';
import { IndexRecorder, writeIndex } from '../records/record-index.js';
import { loadRunView, type RunView } from '../records/run-view.js';
import { commitStep, readManifest } from './manifests.js';

/** N: the configured target per class, or the unlabeled count spread evenly over the classes. */
export function targetPerClass(e: CompiledExperiment, unlabeled: number, classes: number): number {
  return e.filter.perClass === 'auto' ? Math.max(1, Math.floor(unlabeled / classes)) : e.filter.perClass;
}

const perClassOf = (run: RunView) => targetPerClass(run.experiment, run.unlabeledCount, run.classes);

export async function filterStatsStage(ctx: StageContext, task: Task): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRunView(ctx.store, runId);
  const e = run.experiment;
  return commitStep(
    ctx.store,
    runKeys.filterStats(runId, g, shard, run.shards),
    'filter-stats',
    async () => {
      const predKey = runKeys.predictionsManifest(runId, g, shard, run.shards);
      const pm = await readManifest(ctx.store, predKey, 'predictions');
      const topN = e.filter.mode === 'top-n' ? perClassOf(run) : null;
      const stats = shardStatsAccumulator(run.classes, topN);
      for await (const p of streamPredictions(ctx.store, pm.parts[0])) stats.add(p);
      return {
        parts: [],
        counts: { examples: pm.counts.examples },
        parents: [predKey],
        config: e.filter,
        data: stats.result(),
      };
    },
    {
      parents: [run.datasetKey, runKeys.predictionsManifest(runId, g, shard, run.shards)],
      config: { filter: e.filter },
    },
  );
}

export async function filterThresholdsStage(ctx: StageContext, task: Task): Promise<string> {
  const { runId, generation: g } = task;
  const run = await loadRunView(ctx.store, runId);
  const { experiment: e, shards: S } = run;
  return commitStep(
    ctx.store,
    runKeys.thresholds(runId, g),
    'filter-thresholds',
    async () => {
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
    },
    {
      parents: [run.datasetKey, ...Array.from({ length: S }, (_, s) => runKeys.filterStats(runId, g, s, S))],
      config: { filter: e.filter },
    },
  );
}

export async function filterOutputStage(ctx: StageContext, task: Task): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRunView(ctx.store, runId);
  const { experiment: e, shards: S, classes } = run;
  return commitStep(
    ctx.store,
    runKeys.filteredManifest(runId, g, shard, S),
    'filter-output',
    async (attempt) => {
      const tKey = runKeys.thresholds(runId, g);
      const thresholds = (await readManifest(ctx.store, tKey, 'filter-thresholds')).data;
      const predKey = runKeys.predictionsManifest(runId, g, shard, S);
      const pm = await readManifest(ctx.store, predKey, 'predictions');
      const predPart = pm.parts[0];
      const input = run.info.unlabeled[shard];
      const preds = streamPredictions(ctx.store, predPart)[Symbol.asyncIterator]();
      const rng = createRng(e.seed).fork(`filter:${g}:${shard}`);
      const keptPerClass = new Array<number>(classes).fill(0);
      const uniquePerClass = new Array<number>(classes).fill(0);
      let i = 0;
      // Kept records stream straight into the output part, a picture's copies side by side: the
      // trainer draws its own seeded order over the whole set, so the part needs no shuffle, and
      // no worker holds the filtered set (an ImageNet-scale one is tens of GB of pictures).
      async function* kept(): AsyncGenerator<Uint8Array> {
        try {
          for await (const image of run.sampleStream(input)) {
            const next = await preds.next();
            if (next.done) throw new DataError(predPart.key, `${i} predictions for more images in ${input.key}`);
            const p = next.value;
            if (image.id !== p.id)
              throw new DataError(predPart.key, `prediction for '${p.id}' but the image is '${image.id}'`, i);
            const copies = copiesFor(p, thresholds, e.filter, rng);
            if (copies > 0) {
              uniquePerClass[p.label]++;
              // Re-encoded as JPEG on request; pictures of encoded datasets keep their own bytes.
              const encoded = e.filter.encode === 'jpeg' && image.image ? encodeJpeg(image.image) : image.encoded;
              const rec = encodeSample({ ...image, probabilities: p.probabilities, encoded });
              for (let c = 0; c < copies; c++) {
                recorder.add(rec.length);
                yield rec;
              }
            }
            keptPerClass[p.label] += copies;
            i++;
          }
          if (!(await preds.next()).done)
            throw new DataError(predPart.key, `more predictions than the ${i} images in ${input.key}`);
        } finally {
          await preds.return?.(undefined);
        }
      }
      const recorder = new IndexRecorder();
      const part = await putRecords(ctx.store, attemptKey(runKeys.filtered(runId, g, shard, S), attempt), kept());
      // Training finds the records by this index instead of reading the shard first.
      await writeIndex(ctx.store, part, recorder.index());
      return {
        parts: [part],
        counts: { kept: part.records, unique: uniquePerClass.reduce((a, b) => a + b, 0), examples: i },
        parents: [tKey, predKey, run.datasetKey],
        config: e.filter,
        data: { keptPerClass, uniquePerClass },
      };
    },
    {
      parents: [run.datasetKey, runKeys.thresholds(runId, g), runKeys.predictionsManifest(runId, g, shard, S)],
      // The seed, generation and shard pick the copies' random stream.
      config: { filter: e.filter, seed: e.seed, generation: g, shard, shards: S },
    },
  );
}
