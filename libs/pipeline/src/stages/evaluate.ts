// Evaluate a generation's model (EMA weights, inference mode) on the test split: top-1, top-5,
// per-class accuracy, expected calibration error, confusion matrix.
import { datasetKeys, runKeys, type Task } from '@noisy/contracts';
import { computeMetrics, predictProbabilities, type Metrics } from '@noisy/ml';
import { labelsOf, loadRun, packInputs, readSamples, type DatasetInfo, type StageContext } from '../context.js';
import { readManifest, writeManifest, type Manifest } from '../manifest.js';
import { runMetrics } from '../metrics.js';
import type { ModelCache } from '../model-cache.js';

export async function evaluateStage(ctx: StageContext, task: Task, models: ModelCache): Promise<string> {
  const { runId, generation: g } = task;
  const key = runKeys.evalManifest(runId, g);
  if (await ctx.store.head(key)) return key;
  const started = performance.now();
  const run = await loadRun(ctx.store, runId);
  const dsKey = datasetKeys.manifest(run.datasetId);
  const info = (await readManifest<DatasetInfo>(ctx.store, dsKey)).data;
  const classes = info.classNames.length;
  const { model } = await models.get(ctx.store, runKeys.model(runId, g));
  const probs: Float32Array[] = [];
  const labels: Int32Array[] = [];
  const total = info.test.reduce((a, p) => a + p.records, 0);
  let done = 0;
  for (const part of info.test) {
    const samples = await readSamples(ctx.store, part, (info.shape[2] ?? 3) as 1 | 3);
    labels.push(labelsOf(samples, classes, part.key));
    probs.push(
      await predictProbabilities(
        model,
        packInputs(samples, info, part.key),
        info.stats,
        run.experiment.predictBatchSize,
        (d) => ctx.progress({ unit: 'examples', done: done + d, total }),
      ),
    );
    done += samples.length;
  }
  const all = new Float32Array(done * classes);
  const ys = new Int32Array(done);
  let o = 0;
  probs.forEach((p, i) => {
    all.set(p, o * classes);
    ys.set(labels[i], o);
    o += labels[i].length;
  });
  const metrics = computeMetrics(all, ys, classes);
  const m: Manifest<Metrics> = {
    kind: 'evaluation',
    parts: [],
    counts: { examples: done },
    parents: [dsKey, runKeys.modelManifest(runId, g)],
    config: { split: 'test', weights: 'ema' },
    data: metrics,
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  await writeManifest(ctx.store, key, m);
  runMetrics.accuracy({ runId, generation: g, step: 'evaluate' }, metrics.top1, metrics.top5);
  return key;
}
