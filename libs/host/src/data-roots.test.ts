// The ingest steps a service runs are confined to its data roots: the check runs before the stage
// and a refused run never reaches it; every ingest step is wrapped.
import { describe, expect, it } from 'vitest';
import { ConfigError, compileExperiment } from '@noisy/core';
import { INGEST_STEPS, runKeys, type Task } from '@noisy/contracts';
import { MemoryObjectStore, putJson } from '@noisy/platform';
import type { StageContext, StageFn } from '@noisy/pipeline';
import { confinedIngest, confinedIngestStages } from './data-roots.js';

async function storeWithRun(train: string) {
  const store = new MemoryObjectStore();
  const experiment = compileExperiment({
    name: 't',
    data: { source: { kind: 'table', train } },
    teacher: { model: { name: 'mlp' } },
    students: [{ model: { name: 'mlp' } }],
  });
  await putJson(store, runKeys.experiment('r1'), {
    runId: 'r1',
    datasetId: 'd1',
    experiment,
    createdAt: new Date(0).toISOString(),
  });
  return store;
}

describe('confined ingest', () => {
  it('confinedIngest - a path outside the roots is refused before the stage runs; inside, the stage runs', async () => {
    let ran = 0;
    const stage: StageFn = async () => {
      ran++;
      return 'done';
    };
    const task = { runId: 'r1' } as Task;
    const outside = { store: await storeWithRun('/etc/passwd') } as unknown as StageContext;
    await expect(confinedIngest(['/srv/data'], stage)(outside, task, undefined as never)).rejects.toBeInstanceOf(
      ConfigError,
    );
    expect(ran).toBe(0);
    const inside = { store: await storeWithRun('/srv/data/rows.csv') } as unknown as StageContext;
    await expect(confinedIngest(['/srv/data'], stage)(inside, task, undefined as never)).resolves.toBe('done');
    expect(ran).toBe(1);
  });

  it('confinedIngestStages - wraps every ingest step', () => {
    const stages = confinedIngestStages(['/srv/data']);
    expect(Object.keys(stages).sort()).toEqual([...INGEST_STEPS].sort());
    expect(Object.values(stages).every((f) => typeof f === 'function')).toBe(true);
  });
});
