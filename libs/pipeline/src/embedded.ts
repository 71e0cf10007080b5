// The embedded default: one process, an in-process event bus, any object store (file:// by
// default), the run controller and one worker serving every step: the cluster's code paths on a laptop.
import type { CompiledExperiment } from '@noisy/core';
import { progressCodec, subjects, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { MemoryEventBus, type ObjectStore } from '@noisy/platform';
import { RunController } from './controller.js';
import type { RunSummary } from './summary.js';
import { startWorker, type WorkerOptions } from './worker.js';

export interface EmbeddedRunOptions {
  store: ObjectStore;
  experiment: CompiledExperiment;
  runId?: string;
  onProgress?: (p: ProgressEvent) => void;
  onRunEvent?: (e: RunEvent) => void;
  worker?: WorkerOptions;
  signal?: AbortSignal;
}

export async function runEmbedded(o: EmbeddedRunOptions): Promise<RunSummary> {
  const bus = new MemoryEventBus();
  const progress = o.onProgress
    ? bus.subscribeEvents(subjects.progress, progressCodec, (_, p) => o.onProgress!(p))
    : null;
  const worker = startWorker({ store: o.store, bus }, o.worker);
  try {
    const controller = new RunController(
      { store: o.store, bus },
      { onRunEvent: o.onRunEvent, pollMs: 500, signal: o.signal },
    );
    const record = await controller.create(o.experiment, o.runId);
    return await controller.drive(record.runId);
  } finally {
    await worker.stop();
    await progress?.stop();
    await bus.close();
  }
}
