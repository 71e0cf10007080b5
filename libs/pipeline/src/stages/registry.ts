// Step name -> stage function. Workers look stages up here; tests may wrap one to inject faults.
import type { Step, Task } from '@noisy/contracts';
import type { StageContext } from '../context.js';
import type { ModelCache } from '../model-cache.js';
import { loadRun } from '../run-view.js';
import { evaluateStage } from './evaluate.js';
import { filterOutputStage, filterStatsStage, filterThresholdsStage } from './filter.js';
import { ingest } from './ingest.js';
import { ingestCount, ingestPlan, ingestSelect, ingestWrite } from './ingest-tasks.js';
import { predictStage } from './predict.js';
import { trainStage } from './train.js';

/** Runs one task and returns the key of the manifest it committed. */
export type StageFn = (ctx: StageContext, task: Task, models: ModelCache) => Promise<string>;

export const STAGES: Record<Step, StageFn> = {
  ingest: async (ctx, task) => {
    const run = await loadRun(ctx.store, task.runId);
    return ingest(ctx, run.experiment, run.datasetId);
  },
  'ingest-plan': async (ctx, task) => {
    const run = await loadRun(ctx.store, task.runId);
    return ingestPlan(ctx, run.experiment, run.datasetId);
  },
  'ingest-count': async (ctx, task) => {
    const run = await loadRun(ctx.store, task.runId);
    return ingestCount(ctx, run.experiment, run.datasetId, task.shard);
  },
  'ingest-select': async (ctx, task) => {
    const run = await loadRun(ctx.store, task.runId);
    return ingestSelect(ctx, run.experiment, run.datasetId);
  },
  'ingest-write': async (ctx, task) => {
    const run = await loadRun(ctx.store, task.runId);
    return ingestWrite(ctx, run.experiment, run.datasetId, task.shard);
  },
  train: trainStage,
  predict: (ctx, task, models) => predictStage(ctx, task, models),
  'filter-stats': filterStatsStage,
  'filter-thresholds': filterThresholdsStage,
  'filter-output': filterOutputStage,
  evaluate: evaluateStage,
};
