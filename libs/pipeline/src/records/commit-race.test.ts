// Two workers on one task (a redelivery after an ack timeout while the first still runs): each
// attempt writes under its own keys, exactly one manifest is committed, and what it names loads.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '@noisy/core';
import { buildModel, loadCheckpoint, saveCheckpoint, selectBackend } from '@noisy/ml';
import { FileObjectStore, MemoryObjectStore, type ObjectStore } from '@noisy/platform';
import { attemptKey, putPart, type Part } from './manifest.js';
import { commitStep, readManifest, verifyCommit } from '../stages/manifests.js';

const MODEL = 'runs/r/gen-0/model';

/** A training attempt whose weights depend on `seed`: the two racers' outputs differ. */
function trainAttempt(store: ObjectStore, seed: number, gate: Promise<void>) {
  return commitStep(store, `${MODEL}/manifest.json`, 'model', async (attempt) => {
    const model = buildModel(
      { name: 'mlp', width: 1, depth: 1, dropout: null, stochasticDepth: 0, hidden: [4] },
      {
        inputShape: [2],
        classes: 2,
      },
      seed,
    );
    await gate; // both attempts have trained before either commits
    const prefix = `${MODEL}/attempt-${attempt}`;
    const meta = await saveCheckpoint(store, prefix, model, {
      model: { name: 'mlp', width: 1, depth: 1 },
      input: { kind: 'tabular', shape: [2], classes: 2, classNames: ['x', 'y'], stats: { mean: [0, 0], std: [1, 1] } },
      config: { seed },
      metrics: {},
      parents: [],
    });
    model.dispose();
    const parts: Part[] = Object.entries(meta.files).map(([f, v]) => ({ key: `${prefix}/${f}`, ...v, records: 1 }));
    const metaBytes = await store.get(`${prefix}/meta.json`);
    parts.push({ key: `${prefix}/meta.json`, sha256: sha256Hex(metaBytes), bytes: metaBytes.length, records: 1 });
    return {
      parts,
      counts: { seed },
      parents: [],
      config: { seed },
      data: { epochs: [], steps: 0, examplesSeen: 0, labeled: 0, pseudoLabeled: 0 },
    };
  });
}

const stores: Array<[string, () => Promise<{ store: ObjectStore; done: () => Promise<void> }>]> = [
  ['memory', async () => ({ store: new MemoryObjectStore(), done: async () => undefined })],
  [
    'file',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'race-'));
      return { store: await new FileObjectStore(dir).open(), done: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
];

describe('commit race', () => {
  it('manifest - attemptKey puts the attempt before the extension', () => {
    expect(attemptKey('a/b/shard-00001-of-00004.tfrecord', '1a2b')).toBe(
      'a/b/shard-00001-of-00004.attempt-1a2b.tfrecord',
    );
    expect(attemptKey('a/b.c/part', 'ff')).toBe('a/b.c/part.attempt-ff');
  });

  for (const [name, open] of stores)
    it(`manifest - two ${name} attempts with different checkpoints commit one, which loads and matches its manifest`, async () => {
      await selectBackend('cpu');
      const { store, done } = await open();
      try {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const racing = [trainAttempt(store, 1, gate), trainAttempt(store, 2, gate)];
        release();
        expect(await Promise.all(racing)).toEqual([`${MODEL}/manifest.json`, `${MODEL}/manifest.json`]);
        const m = await readManifest(store, `${MODEL}/manifest.json`, 'model');
        expect(await verifyCommit(store, `${MODEL}/manifest.json`)).toBe(true);
        // Only the winner's files remain; the loser removed its own.
        expect((await store.list(`${MODEL}/`)).sort()).toEqual(
          [`${MODEL}/manifest.json`, ...m.parts.map((p) => p.key)].sort(),
        );
        const { model, meta } = await loadCheckpoint(store, MODEL);
        model.dispose();
        expect(meta.config).toEqual({ seed: m.counts.seed });
        const weights = m.parts.find((p) => p.key.endsWith('/weights.bin'))!;
        expect(meta.files['weights.bin'].sha256).toBe(weights.sha256);
      } finally {
        await done();
      }
    });

  it('manifest - a losing attempt keeps parts it shares with the winner', async () => {
    const store = new MemoryObjectStore();
    const KEY = 'runs/r/gen-1/filter/data/shard-00000-of-00001.manifest.json';
    const work = (bytes: number[]) => async () => {
      const part = await putPart(store, 'datasets/d/shared.tfrecord', Uint8Array.from(bytes), 1);
      return {
        parts: [part],
        counts: { kept: 1 },
        parents: [],
        config: {},
        data: { keptPerClass: [1], uniquePerClass: [1] },
      };
    };
    await Promise.all([
      commitStep(store, KEY, 'filter-output', work([1])),
      commitStep(store, KEY, 'filter-output', work([1])),
    ]);
    expect(await store.list('datasets/d/')).toEqual(['datasets/d/shared.tfrecord']);
    expect(await verifyCommit(store, KEY)).toBe(true);
  });
});
