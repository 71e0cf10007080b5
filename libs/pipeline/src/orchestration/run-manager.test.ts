// The controller service's run manager across restarts: state persisted in the store, unfinished
// runs resumed at start-up under a lease, and a leased run left alone by a second controller.
import { describe, expect, it } from 'vitest';
import { DataError, RunFailedError } from '@noisy/core';
import { INGEST_STEPS, datasetKeys, runKeys } from '@noisy/contracts';
import { MemoryEventBus, MemoryObjectStore, putJson } from '@noisy/platform';
import { tinyExperiment } from '@noisy/testing';
import { RunController } from './controller.js';
import { readLease } from './lease.js';
import { RunManager } from './run-manager.js';
import { startWorker } from './worker.js';

const until = async (what: string, check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('run manager', () => {
  it('run manager - a failed run shows failed (not pending) to a restarted controller', async () => {
    const store = new MemoryObjectStore();
    const bus = new MemoryEventBus();
    const worker = startWorker(
      { store, bus },
      {
        steps: ['ingest'],
        stages: {
          ingest: async () => {
            throw new DataError('train.csv', 'no rows');
          },
        },
      },
    );
    try {
      const first = new RunManager({ store, bus }, { controller: { pollMs: 20 } });
      const { runId } = await first.start(JSON.stringify({ ...tinyExperimentInput, name: 'fails' }));
      await first.settled(runId);
      const restarted = new RunManager({ store, bus });
      const info = await restarted.get(runId);
      expect(info.state).toBe('failed');
      expect(info.message).toMatch(/ingest:all failed: DataError: .*no rows/);
      expect(await readLease(store, runId)).toBeNull(); // released when the run ended
    } finally {
      await worker.stop();
      await bus.close();
    }
  });

  it('run manager - a run whose controller died is resumed after its lease expires; another controller keeps off meanwhile', async () => {
    const store = new MemoryObjectStore();
    const bus = new MemoryEventBus();
    const { runId, datasetId } = await new RunController({ store, bus }).create(tinyExperiment({ name: 'orphan' }));
    // What a controller killed mid-run leaves: state running, its lease still valid for a moment.
    await putJson(store, runKeys.state(runId), { state: 'running', message: '', updated: new Date().toISOString() });
    await putJson(store, runKeys.lease(runId), { holder: 'dead', expires: new Date(Date.now() + 400).toISOString() });
    const worker = startWorker({ store, bus }, { steps: INGEST_STEPS });
    const restarted = new RunManager({ store, bus }, { holder: 'new', leaseMs: 6000, controller: { pollMs: 20 } });
    const stop = restarted.startResumer();
    try {
      expect((await restarted.get(runId)).state).toBe('running'); // the persisted state, not pending
      await until(
        'the restarted controller to take the lease',
        async () => (await readLease(store, runId))?.holder === 'new',
        30_000, // the resumer looks every leaseMs
      );
      const second = new RunManager({ store, bus }, { holder: 'second' });
      await expect(second.resume(runId)).rejects.toThrow(RunFailedError);
      await expect(second.resume(runId)).rejects.toThrow(/lease is held/);
      await until(
        'the resumed run to ingest',
        async () => (await store.head(datasetKeys.manifest(datasetId))) !== null,
      );
      await restarted.cancel(runId);
      expect((await new RunManager({ store, bus }).get(runId)).state).toBe('cancelled');
    } finally {
      stop();
      await worker.stop();
      await bus.close();
    }
  });
});

const tinyExperimentInput = {
  name: 'tiny',
  seed: 3,
  data: {
    source: { kind: 'synthetic', classes: 4, size: 12, train: 240, test: 80 },
    labeledPerClass: 10,
    unlabeledShards: 3,
  },
  train: { epochs: 1, batchSize: 8, learningRate: 0.5, warmupEpochs: 0, randAugment: null, padCrop: false },
  teacher: { model: { name: 'cnn-small', width: 0.5 } },
  students: [{ model: { name: 'cnn-small', width: 0.5 } }],
};
