// The ingest steps as a service runs them: the run's dataset paths are checked against the
// service's data roots (NOISY_DATA_ROOTS) before the stage opens anything.
import { INGEST_STEPS, type Step } from '@noisy/contracts';
import { checkDataRoots } from '@noisy/data';
import { STAGES, loadRun, type StageFn } from '@noisy/pipeline';

export function confinedIngest(roots: readonly string[], stage: StageFn = STAGES.ingest): StageFn {
  return async (ctx, task, models) => {
    const run = await loadRun(ctx.store, task.runId);
    await checkDataRoots(run.experiment.data.source, roots);
    return stage(ctx, task, models);
  };
}

/** Every ingest step, confined to the data roots. */
export function confinedIngestStages(roots: readonly string[]): Partial<Record<Step, StageFn>> {
  return Object.fromEntries(INGEST_STEPS.map((s) => [s, confinedIngest(roots, STAGES[s])]));
}
