// Object keys: the one place that knows the layout of the object store. Keys are write-once;
// every step writes its data first and its manifest last, and a step whose manifest exists is done.
//   datasets/<datasetId>/{manifest.json, labeled|unlabeled|dev|test/shard-00007-of-00128.tfrecord}
//   datasets/<datasetId>/ingest/{plan, select, count/part-*, write/part-*}.manifest.json, labeled/part-*.tfrecord
//   runs/<runId>/{experiment.json, summary.json, report.html}
//   runs/<runId>/gen-<g>/{model/, eval/, predictions/, filter/}
//   indexes/<sha256>{.idx,.labeled.idx}  where the records of a TFRecord part with that sha256 lie (record-index.ts)

/** `shard-00007-of-00128`, the original's zero-padded naming. */
export function shardName(index: number, count: number): string {
  return `shard-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;
}

/** `part-00007-of-01024`: a part of a source dataset. */
export function partName(index: number, count: number): string {
  return `part-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;
}

export type Split = 'labeled' | 'unlabeled' | 'dev' | 'test';

export const datasetKeys = {
  root: (datasetId: string) => `datasets/${datasetId}`,
  manifest: (datasetId: string) => `datasets/${datasetId}/manifest.json`,
  shard: (datasetId: string, split: Split, index: number, count: number) =>
    `datasets/${datasetId}/${split}/${shardName(index, count)}.tfrecord`,
  /** Ingest's fan-out: the parts of the source (the `ingest` task). */
  ingestPlan: (datasetId: string) => `datasets/${datasetId}/ingest/plan.manifest.json`,
  /** Per-class counts of source part `part` of `parts` (ingest-count). */
  ingestCount: (datasetId: string, part: number, parts: number) =>
    `datasets/${datasetId}/ingest/count/${partName(part, parts)}.manifest.json`,
  /** What every part contributes to each split (ingest-select). */
  ingestSelect: (datasetId: string) => `datasets/${datasetId}/ingest/select.manifest.json`,
  /** The shards source part `part` wrote (ingest-write). */
  ingestWrite: (datasetId: string, part: number, parts: number) =>
    `datasets/${datasetId}/ingest/write/${partName(part, parts)}.manifest.json`,
  /** The labeled records of one source part, joined into the labeled shard when ingest commits. */
  ingestLabeled: (datasetId: string, part: number, parts: number) =>
    `datasets/${datasetId}/ingest/labeled/${partName(part, parts)}.tfrecord`,
};

/** Record indexes, by the sha256 of the part they describe: any part with those bytes has that layout. */
export const indexKeys = {
  /** Record lengths only. */
  part: (sha256: string) => `indexes/${sha256}.idx`,
  /** Record lengths and labels (a labeled part). */
  labeled: (sha256: string) => `indexes/${sha256}.labeled.idx`,
};

const gen = (runId: string, g: number) => `runs/${runId}/gen-${g}`;

export const runKeys = {
  root: (runId: string) => `runs/${runId}`,
  experiment: (runId: string) => `runs/${runId}/experiment.json`,
  /** The experiment as the user gave it (overrides applied), runnable again: `noisy run <it>`. */
  experimentFile: (runId: string) => `runs/${runId}/experiment.yaml`,
  summary: (runId: string) => `runs/${runId}/summary.json`,
  report: (runId: string) => `runs/${runId}/report.html`,
  /** The controller's view of the run (state, message, updated): what GetRun shows after a restart. */
  state: (runId: string) => `runs/${runId}/state.json`,
  /** Which controller drives the run, until when (renewed while it drives). */
  lease: (runId: string) => `runs/${runId}/lease.json`,
  /** A worker's durable record that a task failed for good (written before it terminates the task). */
  failure: (runId: string, taskId: string) => `runs/${runId}/failures/${taskId.replace(/:/g, '_')}.json`,
  /** TensorBoard's log directory of the run: `tensorboard --logdir <store>/runs/<id>/tensorboard`. */
  tensorboard: (runId: string) => `runs/${runId}/tensorboard`,
  trainCurve: (runId: string, g: number) => `${gen(runId, g)}/train-curve.json`,
  model: (runId: string, g: number) => `${gen(runId, g)}/model`,
  modelManifest: (runId: string, g: number) => `${gen(runId, g)}/model/manifest.json`,
  /** In-training checkpoints of generation g's train step; attempt-independent, so a retry resumes. */
  trainState: (runId: string, g: number) => `${gen(runId, g)}/train-state`,
  evalManifest: (runId: string, g: number) => `${gen(runId, g)}/eval/manifest.json`,
  predictions: (runId: string, g: number, shard: number, count: number) =>
    `${gen(runId, g)}/predictions/${shardName(shard, count)}.tfrecord`,
  predictionsManifest: (runId: string, g: number, shard: number, count: number) =>
    `${gen(runId, g)}/predictions/${shardName(shard, count)}.manifest.json`,
  filterStats: (runId: string, g: number, shard: number, count: number) =>
    `${gen(runId, g)}/filter/stats/${shardName(shard, count)}.manifest.json`,
  thresholds: (runId: string, g: number) => `${gen(runId, g)}/filter/thresholds.manifest.json`,
  filtered: (runId: string, g: number, shard: number, count: number) =>
    `${gen(runId, g)}/filter/data/${shardName(shard, count)}.tfrecord`,
  filteredManifest: (runId: string, g: number, shard: number, count: number) =>
    `${gen(runId, g)}/filter/data/${shardName(shard, count)}.manifest.json`,
};

/** Step cache: `cache/<kind>/<hash of the step's inputs>.json` points at a committed manifest. */
export const cacheKeys = {
  step: (kind: string, inputsHash: string) => `cache/${kind}/${inputsHash}.json`,
};

/** Run ids are `<experiment name>-<yyyymmdd-hhmmss>` or given by the user; they must be safe key parts. */
export function checkRunId(runId: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/.test(runId))
    throw new TypeError(`invalid run id '${runId}': use letters, digits, . _ - (max 128)`);
  return runId;
}
