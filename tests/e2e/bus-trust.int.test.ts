// The bus is a hint, the store the truth (issue 14 item 2), over a real nats-server: a forged
// task.done does not make the controller skip its manifest check, a forged task.failed for a task
// it never published does not fail the run, and malformed messages on the work queue and the
// event subjects are refused without crashing the worker or the controller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetKeys, makeTask, subjects, taskDoneCodec, taskFailedCodec, type RunEvent } from '@noisy/contracts';
import { DataError, RunFailedError } from '@noisy/core';
import { RunController, startWorker } from '@noisy/pipeline';
import { MemoryObjectStore, type Codec } from '@noisy/platform';
import { NatsEventBus } from '@noisy/platform/nats';
import { startNatsServer, tinyExperiment, type RunningServer } from '@noisy/testing';

/** What an attacker (or a buggy client) can put on the bus: any bytes. */
const raw: Codec<Uint8Array> = { type: 'raw', encode: (b) => b, decode: (b) => b };

let nats: RunningServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

describe('bus trust', () => {
  it('bus trust - forged task.done/task.failed and malformed messages change nothing; the real outcome decides', async () => {
    // A store that counts the controller's manifest checks of the ingest task.
    const inner = new MemoryObjectStore();
    let checks = 0;
    const experiment = tinyExperiment({ name: 'forged' });
    const store = Object.assign(Object.create(inner), {
      head: async (k: string) => {
        if (k.endsWith('/ingest/plan.manifest.json') && k.startsWith('datasets/')) checks++; // the ingest task's commit
        return inner.head(k);
      },
    }) as MemoryObjectStore;
    const invalid: string[] = [];
    const onInvalid = (subject: string) => invalid.push(subject);
    const [cbus, wbus, attacker] = await Promise.all([
      NatsEventBus.connect({ servers: nats.url, onInvalid }),
      NatsEventBus.connect({ servers: nats.url, onInvalid }),
      NatsEventBus.connect({ servers: nats.url }),
    ]);
    // The ingest stage waits for the test, then fails for real.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    const worker = startWorker(
      { store, bus: wbus },
      {
        steps: ['ingest'],
        stages: {
          ingest: async () => {
            entered();
            await released;
            throw new DataError('source', 'the real outcome');
          },
        },
      },
    );
    const events: RunEvent[] = [];
    try {
      const controller = new RunController({ store, bus: cbus }, { pollMs: 100, onRunEvent: (e) => events.push(e) });
      const record = await controller.create(experiment);
      // Garbage on the work queue ahead of the real task: terminated, and the worker goes on.
      await attacker.publishTask(subjects.task('ingest'), raw, new TextEncoder().encode('{"step":"ingest"}'), 'junk-1');
      const outcome = controller.drive(record.runId).catch((e: unknown) => e);
      await started;
      const ingest = makeTask(record.runId, 'ingest', 0);
      const manifestKey = datasetKeys.ingestPlan(record.datasetId);
      await attacker.publishEvent(subjects.taskDone, taskDoneCodec, {
        taskId: ingest.taskId,
        runId: record.runId,
        manifestKey,
      });
      await attacker.publishEvent(subjects.taskFailed, taskFailedCodec, {
        taskId: makeTask(record.runId, 'train', 0).taskId,
        runId: record.runId,
        error: 'forged failure',
        permanent: true,
        badInput: false,
      });
      await attacker.publishEvent(subjects.taskDone, raw, Uint8Array.from([0x0a, 0xff, 0xff, 0x01]));
      // Let the controller look at the store several times after the forged events.
      // (A controller that trusted the event would stop checking: the deadline ends the wait.)
      const seen = checks;
      const deadline = Date.now() + 10_000;
      while (checks < seen + 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await store.head(manifestKey)).toBeNull();
      expect(events.map((e) => e.state)).toEqual(['started', 'step-started']);
      release();
      const err = await outcome;
      expect(err).toBeInstanceOf(RunFailedError);
      expect(String(err)).toMatch(/task .*:0:ingest:all failed: DataError: source: the real outcome/);
      expect(String(err)).not.toMatch(/forged failure/);
      expect(invalid).toEqual([subjects.task('ingest'), subjects.taskDone]);
    } finally {
      release();
      await worker.stop();
      await Promise.all([cbus.close(), wbus.close(), attacker.close()]);
    }
  });
});
