// Checkpoints load from wherever their folder went: a run's model folder copied under another
// name, its files found from their attempt folder on (the manifest keeps the run's keys).
import { beforeAll, describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import { MemoryObjectStore } from '@noisy/platform';
import { selectBackend } from './backend.js';
import { commitCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { buildModel } from './models/registry.js';

const MLP = { name: 'mlp' as const, width: 1, depth: 1, dropout: null, stochasticDepth: 0, hidden: [4] };

describe('checkpoint', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('loadCheckpoint - a model folder copied under another name loads, even for a run id that looks like an attempt', async () => {
    const store = new MemoryObjectStore();
    // The run id starts like an attempt folder: only the last attempt-<hex> segment is the attempt.
    const model = 'runs/attempt-abc123/gen-1/model';
    const attempt = `${model}/attempt-0f1e2d3c`;
    const m = buildModel(MLP, { inputShape: [2], classes: 2 }, 1);
    await saveCheckpoint(store, attempt, m, {
      model: { name: 'mlp', width: 1, depth: 1 },
      input: { kind: 'tabular', shape: [2], classes: 2, classNames: ['x', 'y'], stats: { mean: [0, 0], std: [1, 1] } },
      config: {},
      metrics: {},
      parents: [],
    });
    m.dispose();
    // The run commits the manifest beside the attempt folder, naming the attempt's files.
    await commitCheckpoint(store, attempt);
    await store.put(`${model}/manifest.json`, await store.get(`${attempt}/manifest.json`));
    // cp -r runs/.../model elsewhere/mymodel: another store holds only the copy
    const other = new MemoryObjectStore();
    for (const key of await store.list(`${model}/`))
      if (!key.endsWith(`${attempt}/manifest.json`))
        await other.put(key.replace(`${model}/`, 'mymodel/'), await store.get(key));
    const loaded = await loadCheckpoint(other, 'mymodel');
    expect(loaded.meta.input.classNames).toEqual(['x', 'y']);
    loaded.model.dispose();
    // A copy of the manifest alone names what is missing.
    await other.put('bare/manifest.json', await store.get(`${model}/manifest.json`));
    const err = await loadCheckpoint(other, 'bare').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/is not in this folder .*copy the whole model folder/);
  });
});
