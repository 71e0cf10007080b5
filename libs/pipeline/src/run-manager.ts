// Runs driven by a long-lived controller process (the controller service): start, get, list,
// watch, cancel, resume. State comes from the store (experiment records, summaries) plus the
// runs this process is driving; the work itself goes to workers through the bus. A run driven to
// the end gets its HTML report.
import { RunFailedError, compileExperimentFrom, parseExperimentText } from '@noisy/core';
import { progressCodec, runEventCodec, runKeys, subjects, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { getJson, type EventBus, type ObjectStore, type Subscription } from '@noisy/platform';
import { RunController } from './controller.js';
import { writeRunViews } from './report/after-run.js';
import { loadRun } from './run-view.js';
import type { GenerationSummary, RunSummary } from './summary.js';

export type RunState = 'pending' | 'running' | 'finished' | 'failed' | 'cancelled';
export interface RunInfo {
  runId: string;
  name: string;
  state: RunState;
  message: string;
  createdAt: string;
  generations: GenerationSummary[];
}

interface Active {
  abort: AbortController;
  state: RunState;
  message: string;
  done: Promise<void>;
}

export class RunManager {
  private readonly active = new Map<string, Active>();
  constructor(private readonly ports: { store: ObjectStore; bus: EventBus }) {}

  /** Compile the experiment text, create (or reuse) its run and drive it in the background. */
  async start(experimentText: string, runId?: string): Promise<RunInfo> {
    const e = compileExperimentFrom(parseExperimentText(experimentText, 'experiment'), 'experiment');
    const record = await new RunController(this.ports).create(e, runId || undefined);
    this.drive(record.runId);
    return this.get(record.runId);
  }

  private drive(runId: string): void {
    const current = this.active.get(runId);
    if (current && (current.state === 'running' || current.state === 'pending')) return;
    const abort = new AbortController();
    const a: Active = { abort, state: 'running', message: '', done: Promise.resolve() };
    a.done = new RunController(this.ports, { signal: abort.signal, pollMs: 500 }).drive(runId).then(
      async () => {
        // Finished as soon as the run is: its 'finished' event is already out, and a client that
        // reads the run after that event must not see it running while the report is written.
        a.state = 'finished';
        a.message = 'finished';
        const problem = await writeRunViews(this.ports.store, runId);
        if (problem) a.message = `finished; ${problem}`;
      },
      (err) => {
        a.state = abort.signal.aborted ? 'cancelled' : 'failed';
        a.message = err instanceof Error ? err.message : String(err);
      },
    );
    this.active.set(runId, a);
  }

  async get(runId: string): Promise<RunInfo> {
    const record = await loadRun(this.ports.store, runId).catch((cause) => {
      throw new RunFailedError(`no run '${runId}' in ${this.ports.store.url}`, true, { cause });
    });
    const summary = (await this.ports.store.head(runKeys.summary(runId)))
      ? await getJson<RunSummary>(this.ports.store, runKeys.summary(runId))
      : null;
    const a = this.active.get(runId);
    const state: RunState = a?.state ?? (summary ? 'finished' : 'pending');
    return {
      runId,
      name: record.experiment.name,
      state,
      message: a?.message ?? '',
      createdAt: record.createdAt,
      generations: summary?.generations ?? [],
    };
  }

  async list(): Promise<RunInfo[]> {
    const keys = (await this.ports.store.list('runs/')).filter((k) => /^runs\/[^/]+\/experiment\.json$/.test(k));
    return Promise.all(keys.map((k) => this.get(k.split('/')[1])));
  }

  async cancel(runId: string): Promise<RunInfo> {
    const a = this.active.get(runId);
    if (a && a.state === 'running') {
      a.abort.abort();
      await a.done;
    }
    return this.get(runId);
  }

  async resume(runId: string): Promise<RunInfo> {
    await this.get(runId); // exists?
    this.drive(runId);
    return this.get(runId);
  }

  /** Lifecycle and progress events of a run, until it finishes or fails (or `stop()`). */
  watch(runId: string, onRun: (e: RunEvent) => void, onProgress: (p: ProgressEvent) => void): Subscription {
    const subs = [
      this.ports.bus.subscribeEvents(subjects.run, runEventCodec, (_, e) => {
        if (e.runId === runId) onRun(e);
      }),
      this.ports.bus.subscribeEvents(subjects.progress, progressCodec, (_, p) => {
        if (p.runId === runId) onProgress(p);
      }),
    ];
    return {
      stop: async () => {
        await Promise.all(subs.map((s) => s.stop()));
      },
    };
  }

  /** Wait for a run this process drives (tests, shutdown). */
  async settled(runId: string): Promise<void> {
    await this.active.get(runId)?.done;
  }
}
