// Step name -> stage function. Workers look stages up here; tests may wrap one to inject faults.
import type { CompiledExperiment } from '@noisy/core';
import type { Step, Task } from '@noisy/contracts';
import type { StageContext } from '../records/context.js';
import type { ModelCache } from '../records/model-cache.js';
import { loadRun } from '../records/run-view.js';
import { evaluateStage } from './evaluate.js';
import { filterOutputStage, filterStatsStage, filterThresholdsStage } from './filter.js';
import { ingest } from './ingest.js';
import { ingestCount, ingestPlan, ingestSelect, ingestWrite } from './ingest-tasks.js';
import { predictStage } from './predict.js';
import { trainStage } from './train.js';

/** Runs one task and returns the key of the manifest it committed. */
export type StageFn = (ctx: StageContext, task: Task, models: ModelCache) => Promise<string>;

const forRun =
  (fn: (ctx: StageContext, e: CompiledExperiment, datasetId: string, part: number) => Promise<string>): StageFn =>
  async (ctx, task) => {
    const run = await loadRun(ctx.store, task.runId);
    return fn(ctx, run.experiment, run.datasetId, task.shard);
  };

export const STAGES: Record<Step, StageFn> = {
  ingest: forRun(ingestPlan),
  'ingest-count': forRun(ingestCount),
  'ingest-select': forRun(ingestSelect),
  'ingest-write': forRun(ingestWrite),
  'ingest-commit': forRun(ingest),
  train: trainStage,
  predict: (ctx, task, models) => predictStage(ctx, task, models),
  'filter-stats': filterStatsStage,
  'filter-thresholds': filterThresholdsStage,
  'filter-output': filterOutputStage,
  evaluate: evaluateStage,
};

/** A whole ingest in one call (the gRPC Ingest call): every task not yet committed, then the commit. */
export const ingestWhole: StageFn = forRun(ingest);
