// Ingest: a source dataset -> TFRecord shards + the dataset manifest. The work is a fan-out over
// the source's parts (ingest-tasks.ts: plan, count per part, a seeded select, write per part);
// this is the last of them (the ingest-commit task): it lists every part's shards (the labeled
// split is a list of parts too), reduces the input statistics and writes the dataset manifest.
// Run alone (the gRPC Ingest call, a direct call) it first runs, in this process, whichever of
// those tasks has not committed.
// The labeled subset is N per class chosen by seed (or all), the dev split (`data.dev`) a seeded
// subset of the training split; the rest (and any extra unlabeled source) is unlabeled data.
import type { CompiledExperiment } from '@noisy/core';
import { datasetKeys } from '@noisy/contracts';
import { IMAGENET_STATS } from '@noisy/data';
import type { InputStats } from '@noisy/ml';
import type { DatasetInfo, StageContext } from '../records/context.js';
import { isCommitted, type Part } from '../records/manifest.js';
import { ingestCount, ingestPlan, ingestSelect, ingestWrite, readPlan } from './ingest-tasks.js';
import type { IngestWriteData } from './ingest-data.js';
import { commitStep, readManifest, type StepResult } from './manifests.js';

export function datasetIdFor(e: CompiledExperiment, hash: (s: string) => string): string {
  return `${e.data.source.kind}-${hash(JSON.stringify({ data: e.data, seed: e.seed })).slice(0, 12)}`;
}

export async function ingest(ctx: StageContext, e: CompiledExperiment, datasetId: string): Promise<string> {
  return commitStep(ctx.store, datasetKeys.manifest(datasetId), 'dataset', () => commitDataset(ctx, e, datasetId));
}

/**
 * Run, in this process and in order, every ingest task whose manifest is absent (the controller
 * fans them out over workers instead; then this finds them all committed).
 */
export async function runIngestTasks(ctx: StageContext, e: CompiledExperiment, datasetId: string): Promise<void> {
  const has = (key: string) => isCommitted(ctx.store, key);
  if (!(await has(datasetKeys.ingestPlan(datasetId)))) await ingestPlan(ctx, e, datasetId);
  const P = (await readPlan(ctx, datasetId)).data.parts.length;
  for (let p = 0; p < P; p++)
    if (!(await has(datasetKeys.ingestCount(datasetId, p, P)))) await ingestCount(ctx, e, datasetId, p);
  if (!(await has(datasetKeys.ingestSelect(datasetId)))) await ingestSelect(ctx, e, datasetId);
  for (let p = 0; p < P; p++)
    if (!(await has(datasetKeys.ingestWrite(datasetId, p, P)))) await ingestWrite(ctx, e, datasetId, p);
}

/** Input statistics from the write tasks' sums, as `computeStats` would give over the same examples. */
function statsOf(sums: Array<NonNullable<IngestWriteData['sums']>>): InputStats {
  const ch = sums[0].sum.length;
  let n = 0;
  const sum = new Float64Array(ch);
  const sq = new Float64Array(ch);
  for (const s of sums) {
    n += s.n;
    for (let c = 0; c < ch; c++) {
      sum[c] += s.sum[c];
      sq[c] += s.sq[c];
    }
  }
  const mean = Array.from(sum, (v) => v / Math.max(1, n));
  const std = Array.from(sq, (v, c) => Math.max(Math.sqrt(Math.max(v / Math.max(1, n) - mean[c] ** 2, 1e-12)), 1e-3));
  return { mean, std };
}

async function commitDataset(
  ctx: StageContext,
  e: CompiledExperiment,
  datasetId: string,
): Promise<StepResult<'dataset'>> {
  await runIngestTasks(ctx, e, datasetId);
  const plan = (await readPlan(ctx, datasetId)).data;
  const P = plan.parts.length;
  const sel = (await readManifest(ctx.store, datasetKeys.ingestSelect(datasetId), 'ingest-select')).data;
  const writeKeys = Array.from({ length: P }, (_, p) => datasetKeys.ingestWrite(datasetId, p, P));
  const writes: IngestWriteData[] = [];
  for (const k of writeKeys) writes.push((await readManifest(ctx.store, k, 'ingest-write')).data);

  // The labeled split is every write task's labeled part (or train file read in place), as written:
  // joining them would copy the whole labeled set through this one task.
  const labeled = writes.flatMap((w) => (w.labeled ? [w.labeled] : []));
  const unlabeled = writes.flatMap((w) => w.unlabeled);
  const dev = writes.flatMap((w) => w.dev);
  const test = writes.flatMap((w) => w.test);

  // Encoded pictures vary in size and are cropped per model: the original's fixed ImageNet statistics.
  const sums = writes.flatMap((w) => (w.sums ? [w.sums] : []));
  const stats: InputStats =
    plan.encoded || !sums.length ? { mean: [...IMAGENET_STATS.mean], std: [...IMAGENET_STATS.std] } : statsOf(sums);
  const info: DatasetInfo = {
    datasetId,
    name: plan.name,
    kind: plan.kind,
    shape: plan.shape,
    classNames: sel.classNames,
    stats,
    ...(plan.encoding ? { encoding: plan.encoding } : {}),
    ...(plan.encoded ? { encoded: true } : {}),
    labeled,
    unlabeled,
    dev,
    test,
  };
  const records = (parts: Part[]) => parts.reduce((a, p) => a + p.records, 0);
  return {
    parts: [...labeled, ...unlabeled, ...dev, ...test],
    counts: {
      classes: sel.classes,
      labeled: records(labeled),
      labeledParts: labeled.length,
      unlabeled: records(unlabeled),
      dev: records(dev),
      test: records(test),
      unlabeledShards: unlabeled.length,
      sourceParts: P,
    },
    // The dataset is the root of a run's lineage; its ingest manifests are its own internals (ingest/).
    parents: [],
    config: { data: e.data, seed: e.seed },
    data: info,
  };
}
