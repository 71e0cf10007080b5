// Loading checkpoints by their commit: only a committed checkpoint loads, verified manifest ->
// meta -> files; the cache keys on the manifest's sha256, so a checkpoint recommitted under the
// same prefix is loaded afresh.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import { buildModel, commitCheckpoint, computeStats, loadCheckpoint, saveCheckpoint } from '@noisy/ml';
import { MemoryObjectStore, type ObjectStore } from '@noisy/platform';
import { ModelCache } from './model-cache.js';

async function save(store: ObjectStore, prefix: string, seed: number, commit = true): Promise<void> {
  const model = buildModel(
    { name: 'mlp', width: 1, depth: 1, dropout: null, stochasticDepth: 0, hidden: [3] },
    { inputShape: [2], classes: 2 },
    seed,
  );
  const stats = computeStats({ kind: 'tabular', count: 2, shape: [2], features: Float32Array.from([0, 1, 2, 3]) });
  await saveCheckpoint(store, prefix, model, {
    model: { name: 'mlp', width: 1, depth: 1 },
    input: { kind: 'tabular', shape: [2], classes: 2, classNames: ['x', 'y'], stats },
    config: { seed },
    metrics: {},
    parents: [],
  });
  model.dispose();
  if (commit) await commitCheckpoint(store, prefix);
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as ArtifactError,
  );

describe('checkpoint commit', () => {
  it('loadCheckpoint - an uncommitted checkpoint is refused; a committed one loads', async () => {
    await tf.setBackend('cpu');
    const store = new MemoryObjectStore();
    await save(store, 'runs/r/gen-0/model', 1, false);
    const err = await failure(loadCheckpoint(store, 'runs/r/gen-0/model'));
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err!.message).toBe(
      'runs/r/gen-0/model/manifest.json: no committed checkpoint here (manifest.json missing: unfinished, or a wrong path)',
    );
    await commitCheckpoint(store, 'runs/r/gen-0/model');
    const { model, meta } = await loadCheckpoint(store, 'runs/r/gen-0/model');
    expect(meta.config).toEqual({ seed: 1 });
    model.dispose();
  });

  it('loadCheckpoint - meta.json or weights changed after the commit are refused against the manifest', async () => {
    const store = new MemoryObjectStore();
    await save(store, 'm', 1);
    const meta = await store.get('m/meta.json');
    await store.put('m/meta.json', new TextDecoder().decode(meta).replace('"seed": 1', '"seed": 2'));
    expect((await failure(loadCheckpoint(store, 'm')))!.message).toBe(
      'm/meta.json: sha256 does not match the manifest: the checkpoint is corrupt',
    );
    await store.put('m/meta.json', meta);
    const w = await store.get('m/weights.bin');
    w[0] ^= 0xff;
    await store.put('m/weights.bin', w);
    expect((await failure(loadCheckpoint(store, 'm')))!.message).toBe(
      'm/weights.bin: sha256 does not match the manifest: the checkpoint is corrupt',
    );
  });

  it('loadCheckpoint - a committed checkpoint opened from a store rooted at its folder maps the part keys', async () => {
    const runStore = new MemoryObjectStore();
    await save(runStore, 'runs/r/gen-1/model', 3);
    const folderStore = new MemoryObjectStore(); // as if the folder gen-1/ were opened as a store
    for (const f of ['model.json', 'weights.bin', 'meta.json', 'manifest.json'])
      await folderStore.put(`model/${f}`, await runStore.get(`runs/r/gen-1/model/${f}`));
    const { model, meta } = await loadCheckpoint(folderStore, 'model');
    expect(meta.config).toEqual({ seed: 3 });
    model.dispose();
  });

  it("ModelCache - keys on the manifest's sha256: same commit reused, a recommit under the same prefix reloaded", async () => {
    const store = new MemoryObjectStore();
    const cache = new ModelCache();
    await save(store, 'm', 1);
    const a = await cache.get(store, 'm');
    expect(await cache.get(store, 'm')).toBe(a);
    await save(store, 'm', 2); // different weights, committed again at the same path
    const b = await cache.get(store, 'm');
    expect(b).not.toBe(a);
    expect(b.meta.config).toEqual({ seed: 2 });
    cache.clear();
  });
});
