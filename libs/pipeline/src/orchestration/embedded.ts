// The embedded default: one process, an in-process event bus, any object store (file:// by
// default), the run controller and one worker serving every step: the cluster's code paths on a laptop.
// Once the run has finished it writes the run's HTML report.
import type { CompiledExperiment } from '@noisy/core';
import { progressCodec, subjects, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { MemoryEventBus, type ObjectStore } from '@noisy/platform';
import { RunController } from './controller.js';
import { writeRunViews } from '../report/after-run.js';
import type { RunSummary } from '../report/summary.js';
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
    const summary = await controller.drive(record.runId);
    const problem = await writeRunViews(o.store, record.runId);
    if (problem) o.onRunEvent?.({ runId: record.runId, state: 'step-finished', message: problem });
    return summary;
  } finally {
    await worker.stop();
    await progress?.stop();
    await bus.close();
  }
}
