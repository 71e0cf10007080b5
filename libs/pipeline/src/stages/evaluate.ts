// Evaluate a generation's model (EMA weights, inference mode) on the dev split (when the dataset
// has one) and the test split: top-1, top-5, per-class accuracy, expected calibration error,
// confusion matrix. Settings are chosen on dev; test is read once per reported run.
import { datasetKeys, runKeys, type Task } from '@noisy/contracts';
import { computeMetrics, predictProbabilities, type Metrics } from '@noisy/ml';
import { labelsOf, loadRun, packInputs, readSamples, type DatasetInfo, type StageContext } from '../context.js';
import { readManifest, writeManifest, type Manifest, type Part } from '../manifest.js';
import { runMetrics } from '../metrics.js';
import type { ModelCache } from '../model-cache.js';

/** An evaluation manifest's payload: the test metrics (as before dev existed) and the dev split's. */
export type EvalData = Metrics & { dev: Metrics | null };

/** Metrics of `model` over the labeled shards `parts`, in order. */
async function evaluateParts(
  ctx: StageContext,
  parts: Part[],
  info: DatasetInfo,
  model: Parameters<typeof predictProbabilities>[0],
  batch: number,
  progress: (done: number) => void,
): Promise<Metrics> {
  const classes = info.classNames.length;
  const probs: Float32Array[] = [];
  const labels: Int32Array[] = [];
  let done = 0;
  for (const part of parts) {
    const samples = await readSamples(ctx.store, part, (info.shape[2] ?? 3) as 1 | 3);
    labels.push(labelsOf(samples, classes, part.key));
    probs.push(
      await predictProbabilities(model, packInputs(samples, info, part.key), info.stats, batch, (d) =>
        progress(done + d),
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
  return computeMetrics(all, ys, classes);
}

export async function evaluateStage(ctx: StageContext, task: Task, models: ModelCache): Promise<string> {
  const { runId, generation: g } = task;
  const key = runKeys.evalManifest(runId, g);
  if (await ctx.store.head(key)) return key;
  const started = performance.now();
  const run = await loadRun(ctx.store, runId);
  const dsKey = datasetKeys.manifest(run.datasetId);
  const info = (await readManifest<DatasetInfo>(ctx.store, dsKey)).data;
  const { model } = await models.get(ctx.store, runKeys.model(runId, g));
  const dev = info.dev ?? [];
  const count = (parts: Part[]) => parts.reduce((a, p) => a + p.records, 0);
  const total = count(dev) + count(info.test);
  const batch = run.experiment.predictBatchSize;
  const report = (done: number) => ctx.progress({ unit: 'examples', done, total });
  const devMetrics = dev.length ? await evaluateParts(ctx, dev, info, model, batch, report) : null;
  const metrics = await evaluateParts(ctx, info.test, info, model, batch, (d) => report(count(dev) + d));
  const m: Manifest<EvalData> = {
    kind: 'evaluation',
    parts: [],
    counts: { examples: count(info.test), devExamples: count(dev) },
    parents: [dsKey, runKeys.modelManifest(runId, g)],
    config: { split: 'test', weights: 'ema' },
    data: { ...metrics, dev: devMetrics },
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  await writeManifest(ctx.store, key, m);
  runMetrics.accuracy({ runId, generation: g, step: 'evaluate' }, metrics.top1, metrics.top5);
  return key;
}
