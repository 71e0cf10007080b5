import { describe, expect, it } from 'vitest';
import { subjects, taskFailedCodec, type RunEvent } from '@noisy/contracts';
import { RunFailedError } from '@noisy/core';
import { MemoryEventBus, MemoryObjectStore } from '@noisy/platform';
import { tinyExperiment } from '@noisy/testing';
import { RunController } from './controller.js';
import { STAGES } from '../stages/registry.js';
import { startWorker } from './worker.js';

describe('run controller', () => {
  it('controller - a task.failed for a task whose manifest is committed is ignored', async () => {
    const store = new MemoryObjectStore();
    const bus = new MemoryEventBus();
    // The real ingest commits its manifest, then a (stale or forged) failure of the same task arrives.
    const worker = startWorker(
      { store, bus },
      {
        steps: ['ingest'],
        stages: {
          ingest: async (ctx, task, models) => {
            const key = await STAGES.ingest(ctx, task, models);
            await bus.publishEvent(subjects.taskFailed, taskFailedCodec, {
              taskId: task.taskId,
              runId: task.runId,
              error: 'forged failure',
              permanent: true,
              badInput: false,
            });
            return key;
          },
        },
      },
    );
    const abort = new AbortController();
    const events: RunEvent[] = [];
    try {
      const controller = new RunController(
        { store, bus },
        {
          pollMs: 50,
          signal: abort.signal,
          onRunEvent: (e) => {
            events.push(e);
            if (e.state === 'step-finished' && e.step === 'ingest') abort.abort(); // no need to train
          },
        },
      );
      const record = await controller.create(tinyExperiment({ name: 'stale-failure' }));
      const err = await controller.drive(record.runId).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunFailedError);
      expect(String(err)).toMatch(/cancelled/);
      expect(events.map((e) => `${e.state}:${e.step ?? ''}`)).toContain('step-finished:ingest');
      expect(events.some((e) => /forged failure/.test(e.message))).toBe(false);
    } finally {
      await worker.stop();
      await bus.close();
    }
  });
});
