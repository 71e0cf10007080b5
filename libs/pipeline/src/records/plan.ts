// The run as phases of tasks: which tasks exist for an experiment and which manifest commits each.
// The controller recomputes progress from these keys, so a restart resumes where the run stopped.
import type { CompiledExperiment } from '@noisy/core';
import { datasetKeys, makeTask, runKeys, type Task } from '@noisy/contracts';

export interface PlannedTask {
  task: Task;
  manifestKey: string;
}
export interface Phase {
  name: string;
  generation: number;
  tasks: PlannedTask[];
}

/**
 * Whether generation g trains on stored pseudo-labels. A student with unlabelRatio 0 (the
 * no-pseudo-label control) skips predict and filter: it would not read them.
 */
export function usesStoredPseudoLabels(e: CompiledExperiment, g: number): boolean {
  return g > 0 && e.mode === 'offline' && e.stages[g].train.unlabelRatio > 0;
}

/**
 * Ingest's fan-out after the `ingest` task has listed the source's `parts`: ingest-count per part,
 * ingest-select, ingest-write per part, and ingest-commit, which commits the dataset manifest.
 */
export function planIngest(runId: string, datasetId: string, parts: number): Phase[] {
  const one = (name: 'ingest-select' | 'ingest-commit', key: string): Phase => ({
    name,
    generation: 0,
    tasks: [{ task: makeTask(runId, name, 0), manifestKey: key }],
  });
  const perPart = (name: 'ingest-count' | 'ingest-write', key: (p: number) => string): Phase => ({
    name,
    generation: 0,
    tasks: Array.from({ length: parts }, (_, p) => ({ task: makeTask(runId, name, 0, p), manifestKey: key(p) })),
  });
  return [
    perPart('ingest-count', (p) => datasetKeys.ingestCount(datasetId, p, parts)),
    one('ingest-select', datasetKeys.ingestSelect(datasetId)),
    perPart('ingest-write', (p) => datasetKeys.ingestWrite(datasetId, p, parts)),
    one('ingest-commit', datasetKeys.manifest(datasetId)),
  ];
}

export function planRun(runId: string, e: CompiledExperiment, datasetId: string, shards: number | null): Phase[] {
  const phases: Phase[] = [
    {
      name: 'ingest',
      generation: 0,
      // Lists the source's parts; the rest of ingest fans out over them (planIngest).
      tasks: [{ task: makeTask(runId, 'ingest', 0), manifestKey: datasetKeys.ingestPlan(datasetId) }],
    },
  ];
  if (shards === null) return phases; // shard count is known once the dataset has committed
  const perShard = (
    name: 'predict' | 'filter-stats' | 'filter-output',
    g: number,
    key: (s: number) => string,
  ): Phase => ({
    name,
    generation: g,
    tasks: Array.from({ length: shards }, (_, s) => ({ task: makeTask(runId, name, g, s), manifestKey: key(s) })),
  });
  for (let g = 0; g < e.stages.length; g++) {
    if (usesStoredPseudoLabels(e, g)) {
      phases.push(perShard('predict', g, (s) => runKeys.predictionsManifest(runId, g, s, shards)));
      phases.push(perShard('filter-stats', g, (s) => runKeys.filterStats(runId, g, s, shards)));
      phases.push({
        name: 'filter-thresholds',
        generation: g,
        tasks: [{ task: makeTask(runId, 'filter-thresholds', g), manifestKey: runKeys.thresholds(runId, g) }],
      });
      phases.push(perShard('filter-output', g, (s) => runKeys.filteredManifest(runId, g, s, shards)));
    }
    phases.push({
      name: 'train',
      generation: g,
      tasks: [{ task: makeTask(runId, 'train', g), manifestKey: runKeys.modelManifest(runId, g) }],
    });
    phases.push({
      name: 'evaluate',
      generation: g,
      tasks: [{ task: makeTask(runId, 'evaluate', g), manifestKey: runKeys.evalManifest(runId, g) }],
    });
  }
  return phases;
}
