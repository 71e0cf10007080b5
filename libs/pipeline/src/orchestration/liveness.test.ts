// No run waits forever: lost events, lost publishes, tasks nobody finishes and tasks the bus gave
// up on all end the run (or let it go on) with the task named; the memory bus stands in for NATS.
import { describe, expect, it } from 'vitest';
import { DataError, RunFailedError } from '@noisy/core';
import { runKeys, subjects, taskCodec, type RunEvent, type Task } from '@noisy/contracts';
import { MemoryEventBus, MemoryObjectStore, type Codec } from '@noisy/platform';
import { tinyExperiment } from '@noisy/testing';
import { RunController } from './controller.js';
import { readFailure } from '../records/failures.js';
import { startWorker } from './worker.js';

/** A memory bus that records task message ids and can drop task.failed events or first publishes. */
class LossyBus extends MemoryEventBus {
  readonly msgIds: string[] = [];
  dropFailedEvents = false;
  dropFirstPublish = false;
  override async publishTask<T>(
    subject: string,
    codec: Codec<T>,
    data: T,
    msgId: string,
    headers?: Record<string, string>,
  ) {
    this.msgIds.push(msgId);
    if (this.dropFirstPublish && this.msgIds.length === 1) return { duplicate: false };
    return super.publishTask(subject, codec, data, msgId, headers);
  }
  override async publishEvent<T>(subject: string, codec: Codec<T>, data: T): Promise<void> {
    if (this.dropFailedEvents && subject === subjects.taskFailed) throw new Error('bus down');
    return super.publishEvent(subject, codec, data);
  }
}

/** Drive a tiny run until ingest finishes (then cancel: training is not under test) or fails. */
async function driveIngest(store: MemoryObjectStore, bus: MemoryEventBus, o: { deadlineMs?: number } = {}) {
  const abort = new AbortController();
  const events: RunEvent[] = [];
  const controller = new RunController(
    { store, bus },
    {
      pollMs: 20,
      signal: abort.signal,
      deadlines: o.deadlineMs ? { ingest: o.deadlineMs } : undefined,
      onRunEvent: (e) => {
        events.push(e);
        if (e.state === 'step-finished' && e.step === 'ingest') abort.abort();
      },
    },
  );
  const record = await controller.create(tinyExperiment({ name: 'liveness' }));
  const err = await controller.drive(record.runId).then(
    () => null,
    (e: unknown) => e,
  );
  return { err, events, runId: record.runId };
}

describe('liveness', () => {
  it('controller - a task.failed event lost on the bus still fails the run, from the failure marker', async () => {
    const store = new MemoryObjectStore();
    const bus = new LossyBus();
    bus.dropFailedEvents = true;
    const reportErrors: string[] = [];
    const worker = startWorker(
      { store, bus },
      {
        steps: ['ingest'],
        stages: {
          ingest: async () => {
            throw new DataError('images/7.png', 'not a PNG');
          },
        },
        onReportError: (_task, what) => reportErrors.push(what),
      },
    );
    try {
      const { err, runId } = await driveIngest(store, bus);
      expect(err).toBeInstanceOf(RunFailedError);
      expect(String(err)).toMatch(new RegExp(`task ${runId}:0:ingest:all failed: DataError: .*not a PNG`));
      expect((err as RunFailedError).badInput).toBe(true);
      expect((await readFailure(store, runId, `${runId}:0:ingest:all`))?.error).toMatch(/not a PNG/);
      // The run ended from the marker while the worker was still retrying the event; then it is told.
      for (let i = 0; i < 100 && !reportErrors.length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(reportErrors).toEqual(['task.failed event']);
    } finally {
      await worker.stop();
      await bus.close();
    }
  }, 20_000);

  it('controller - a task nobody commits is re-driven under attempt ids, then fails the run naming it', async () => {
    const store = new MemoryObjectStore();
    const bus = new LossyBus(); // no worker: every attempt goes unanswered
    const { err, events, runId } = await driveIngest(store, bus, { deadlineMs: 60 });
    const id = `${runId}:0:ingest:all`;
    expect(err).toBeInstanceOf(RunFailedError);
    expect(String(err)).toMatch(new RegExp(`task ${id} failed: not committed within its deadline .* in 3 attempt`));
    expect(bus.msgIds).toEqual([id, `${id}:attempt-2`, `${id}:attempt-3`]);
    expect(events.filter((e) => /published again/.test(e.message))).toHaveLength(2);
    await bus.close();
  });

  it('controller - a first publish that is lost is made good by the re-drive, and the run goes on', async () => {
    const store = new MemoryObjectStore();
    const bus = new LossyBus();
    bus.dropFirstPublish = true;
    const worker = startWorker({ store, bus }, { steps: ['ingest'] });
    try {
      // A deadline long enough for an ingest on a loaded machine, short enough to re-drive soon.
      const { err, events, runId } = await driveIngest(store, bus, { deadlineMs: 3000 });
      expect(String(err)).toMatch(/cancelled/); // stopped by the test after ingest, not failed
      expect(events.map((e) => `${e.state}:${e.step ?? ''}`)).toContain('step-finished:ingest');
      expect(bus.msgIds.slice(0, 2)).toEqual([`${runId}:0:ingest:all`, `${runId}:0:ingest:all:attempt-2`]);
    } finally {
      await worker.stop();
      await bus.close();
    }
  }, 20_000);

  it('controller - a task the bus gave up on after max deliveries fails the run naming it', async () => {
    const store = new MemoryObjectStore();
    const bus = new MemoryEventBus();
    // A "worker" that dies on every delivery: it never acks, naks or terms.
    const sub = bus.consumeTasks<Task>(subjects.task('ingest'), 'noisy-ingest', taskCodec, async () => undefined, {
      maxDeliver: 3,
    });
    try {
      const { err, runId } = await driveIngest(store, bus);
      expect(err).toBeInstanceOf(RunFailedError);
      expect(String(err)).toMatch(
        new RegExp(`task ${runId}:0:ingest:all failed: delivered the maximum number of times`),
      );
    } finally {
      await sub.stop();
      await bus.close();
    }
  });

  it('worker - a silent stage keeps its task alive on a timer', async () => {
    const store = new MemoryObjectStore();
    const bus = new MemoryEventBus();
    let beats = 0;
    const consume = bus.consumeTasks.bind(bus);
    bus.consumeTasks = (subject, durable, codec, handler, options) =>
      consume(
        subject,
        durable,
        codec,
        (d) =>
          handler({
            ...d,
            ack: d.ack,
            nak: d.nak,
            term: d.term,
            working: () => {
              beats++;
              d.working();
            },
          }),
        options,
      );
    const worker = startWorker(
      { store, bus },
      {
        steps: ['evaluate'],
        keepAliveMs: 30,
        stages: {
          // Silent (loading a model: no progress reports) until the timer has beaten 5 times: the
          // test waits for beats, however slowly the machine schedules them, and never races them.
          evaluate: async () => {
            for (let i = 0; i < 1000 && beats < 5; i++) await new Promise((r) => setTimeout(r, 20));
            return runKeys.evalManifest('r1', 0);
          },
        },
      },
    );
    await bus.publishTask(subjects.task('evaluate'), taskCodec, makeEval(), 'r1:0:evaluate:all');
    await expect.poll(() => beats, { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
    await worker.stop();
    await bus.close();
    expect(beats).toBeGreaterThanOrEqual(5);
  });
});

const makeEval = (): Task => ({ taskId: 'r1:0:evaluate:all', runId: 'r1', step: 'evaluate', generation: 0, shard: -1 });
