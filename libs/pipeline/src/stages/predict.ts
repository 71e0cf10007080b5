// Predict one unlabeled shard with the previous generation's model: EMA weights, inference mode,
// no noise, full softmax at T = 1, in input order, with example ids.
import { runKeys, datasetKeys, type Task } from '@noisy/contracts';
import { predictProbabilities } from '@noisy/ml';
import { loadRun, packInputs, readSamples, type DatasetInfo, type StageContext } from '../context.js';
import { putPart, readManifest, writeManifest, type Manifest } from '../manifest.js';
import type { ModelCache } from '../model-cache.js';
import { encodePredictions } from '../predictions.js';

export async function predictStage(
  ctx: StageContext,
  task: Task,
  models: ModelCache,
  batchSize?: number,
): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRun(ctx.store, runId);
  const dsKey = datasetKeys.manifest(run.datasetId);
  const info = (await readManifest<DatasetInfo>(ctx.store, dsKey)).data;
  const S = info.unlabeled.length;
  const key = runKeys.predictionsManifest(runId, g, shard, S);
  if (await ctx.store.head(key)) return key;
  const started = performance.now();
  const teacher = await models.get(ctx.store, runKeys.model(runId, g - 1));
  const input = info.unlabeled[shard];
  const samples = await readSamples(ctx.store, input, (info.shape[2] ?? 3) as 1 | 3);
  const set = packInputs(samples, info, input.key);
  const classes = info.classNames.length;
  const probs = await predictProbabilities(
    teacher.model,
    set,
    info.stats,
    batchSize ?? run.experiment.predictBatchSize,
    (done, total) => ctx.progress({ unit: 'examples', done, total }),
  );
  const part = await putPart(
    ctx.store,
    runKeys.predictions(runId, g, shard, S),
    encodePredictions(
      samples.map((s) => s.id),
      probs,
      classes,
    ),
    samples.length,
  );
  const m: Manifest<null> = {
    kind: 'predictions',
    parts: [part],
    counts: { examples: samples.length },
    parents: [dsKey, runKeys.modelManifest(runId, g - 1)],
    config: { temperature: 1, weights: 'ema' },
    data: null,
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  await writeManifest(ctx.store, key, m);
  return key;
}
