// Evaluate a generation's model (EMA weights, inference mode) on the dev split (when the dataset
// has one) and the test split: top-1, top-5, per-class accuracy, expected calibration error,
// confusion matrix. Settings are chosen on dev; test is read once per reported run.
import { runKeys, type Task } from '@noisy/contracts';
import { computeMetrics, predictProbabilities, type Metrics } from '@noisy/ml';
import type { StageContext } from '../records/context.js';
import type { Part } from '../records/manifest.js';
import { runMetrics } from './metrics.js';
import type { ModelCache } from '../records/model-cache.js';
import { loadRunView, type RunView } from '../records/run-view.js';
import { commitStep } from './manifests.js';

/** Metrics of `model` over the labeled shards `parts`, in order. */
async function evaluateParts(
  run: RunView,
  parts: Part[],
  model: Parameters<typeof predictProbabilities>[0],
  stats: Parameters<typeof predictProbabilities>[2],
  progress: (done: number) => void,
): Promise<Metrics> {
  const classes = run.classes;
  const probs: Float32Array[] = [];
  const labels: Int32Array[] = [];
  let done = 0;
  for (const part of parts) {
    const batch = run.experiment.predictBatchSize;
    if (run.info.encoded) {
      // Encoded pictures: decoded and center-cropped at the model's resolution, in batches.
      const samples = await run.samples(part);
      labels.push(run.labels(samples, part.key));
      probs.push(await run.probabilities(model, samples, part.key, batch, (d) => progress(done + d), stats));
      done += samples.length;
      continue;
    }
    const packed = await run.packed(part, { labels: true });
    labels.push(packed.labels!);
    probs.push(await predictProbabilities(model, packed.set, stats, batch, (d) => progress(done + d)));
    done += packed.set.count;
  }
  const all = new Float32Array(done * classes); // [N, C]
  const ys = new Int32Array(done);
  let o = 0;
  probs.forEach((p, i) => {
    all.set(p, o * classes);
    ys.set(labels[i], o);
    o += labels[i].length;
  });
  return computeMetrics(all, ys, classes);
}

const recordsOf = (parts: Part[]) => parts.reduce((a, p) => a + p.records, 0);

export async function evaluateStage(ctx: StageContext, task: Task, models: ModelCache): Promise<string> {
  const { runId, generation: g } = task;
  const run = await loadRunView(ctx.store, runId);
  const { info } = run;
  const parents = [run.datasetKey, runKeys.modelManifest(runId, g)];
  const config = { split: 'test', weights: 'ema' };
  return commitStep(
    ctx.store,
    runKeys.evalManifest(runId, g),
    'evaluation',
    async () => {
      const { model, meta } = await models.generation(ctx.store, runId, g);
      const stats = meta.input.stats; // the checkpoint's own normalisation (an imported teacher's may differ)
      const dev = info.dev ?? [];
      const total = recordsOf(dev) + recordsOf(info.test);
      const report = (done: number) => ctx.progress({ unit: 'examples', done, total });
      const devMetrics = dev.length ? await evaluateParts(run, dev, model, stats, report) : null;
      const metrics = await evaluateParts(run, info.test, model, stats, (d) => report(recordsOf(dev) + d));
      runMetrics.accuracy({ runId, generation: g, step: 'evaluate' }, metrics.top1, metrics.top5);
      return {
        parts: [],
        counts: { examples: recordsOf(info.test), devExamples: recordsOf(dev) },
        parents,
        config,
        data: { ...metrics, dev: devMetrics },
      };
    },
    { parents, config },
  );
}
