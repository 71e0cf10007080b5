// Evaluate a generation's model (EMA weights, inference mode) on the test split: top-1, top-5,
// per-class accuracy, expected calibration error, confusion matrix.
import { runKeys, type Task } from '@noisy/contracts';
import { computeMetrics, predictProbabilities } from '@noisy/ml';
import type { StageContext } from '../context.js';
import { commitStep } from '../manifest.js';
import { runMetrics } from '../metrics.js';
import type { ModelCache } from '../model-cache.js';
import { loadRunView } from '../run-view.js';

export async function evaluateStage(ctx: StageContext, task: Task, models: ModelCache): Promise<string> {
  const { runId, generation: g } = task;
  const run = await loadRunView(ctx.store, runId);
  const { info, classes } = run;
  return commitStep(ctx.store, runKeys.evalManifest(runId, g), 'evaluation', async () => {
    const { model } = await models.get(ctx.store, runKeys.model(runId, g));
    const probs: Float32Array[] = [];
    const labels: Int32Array[] = [];
    const total = info.test.reduce((a, p) => a + p.records, 0);
    let done = 0;
    for (const part of info.test) {
      const samples = await run.samples(part);
      labels.push(run.labels(samples, part.key));
      probs.push(
        await predictProbabilities(
          model,
          run.inputs(samples, part.key),
          info.stats,
          run.experiment.predictBatchSize,
          (d) => ctx.progress({ unit: 'examples', done: done + d, total }),
        ),
      );
      done += samples.length;
    }
    const all = new Float32Array(done * classes); // [N, C]
    const ys = new Int32Array(done);
    let o = 0;
    probs.forEach((p, i) => {
      all.set(p, o * classes);
      ys.set(labels[i], o);
      o += labels[i].length;
    });
    const metrics = computeMetrics(all, ys, classes);
    runMetrics.accuracy({ runId, generation: g, step: 'evaluate' }, metrics.top1, metrics.top5);
    return {
      parts: [],
      counts: { examples: done },
      parents: [run.datasetKey, runKeys.modelManifest(runId, g)],
      config: { split: 'test', weights: 'ema' },
      data: metrics,
    };
  });
}
