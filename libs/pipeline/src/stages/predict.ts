// Predict one unlabeled shard with the previous generation's model: EMA weights, inference mode,
// no noise, full softmax at T = 1, in input order, with example ids.
import { runKeys, type Task } from '@noisy/contracts';
import { predictProbabilities } from '@noisy/ml';
import type { StageContext } from '../context.js';
import { attemptKey, commitStep, putPart } from '../manifest.js';
import type { ModelCache } from '../model-cache.js';
import { encodePredictions } from '../predictions.js';
import { loadRunView } from '../run-view.js';

export async function predictStage(
  ctx: StageContext,
  task: Task,
  models: ModelCache,
  batchSize?: number,
): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRunView(ctx.store, runId);
  const S = run.shards;
  return commitStep(ctx.store, runKeys.predictionsManifest(runId, g, shard, S), 'predictions', async (attempt) => {
    const teacher = await models.get(ctx.store, runKeys.model(runId, g - 1));
    const input = run.info.unlabeled[shard];
    const samples = await run.samples(input);
    const probs = await predictProbabilities(
      teacher.model,
      run.inputs(samples, input.key),
      run.info.stats,
      batchSize ?? run.experiment.predictBatchSize,
      (done, total) => ctx.progress({ unit: 'examples', done, total }),
    );
    const ids = samples.map((s) => s.id);
    const bytes = encodePredictions(ids, probs, run.classes);
    const part = await putPart(
      ctx.store,
      attemptKey(runKeys.predictions(runId, g, shard, S), attempt),
      bytes,
      samples.length,
    );
    return {
      parts: [part],
      counts: { examples: samples.length },
      parents: [run.datasetKey, runKeys.modelManifest(runId, g - 1)],
      config: { temperature: 1, weights: 'ema' },
      data: null,
    };
  });
}
