// The ingest step as a service runs it: the run's dataset paths are checked against the service's
// data roots (NOISY_DATA_ROOTS) before the stage opens anything.
import { checkDataRoots } from '@noisy/data';
import { STAGES, loadRun, type StageFn } from '@noisy/pipeline';

export function confinedIngest(roots: readonly string[]): StageFn {
  return async (ctx, task, models) => {
    const run = await loadRun(ctx.store, task.runId);
    await checkDataRoots(run.experiment.data.source, roots);
    return STAGES.ingest(ctx, task, models);
  };
}
