// Runs driven by a long-lived controller process (the controller service): start, get, list,
// watch, cancel, resume. A run's state (running, finished, failed, cancelled) is persisted in the
// store, so a restarted controller shows it and picks up every unfinished run by itself, under a
// lease (lease.ts) so that two controllers never drive one run. The work goes to workers through
// the bus. A run driven to the end gets its HTML report.
import { randomUUID } from 'node:crypto';
import { RunFailedError, compileExperimentFrom, parseExperimentText } from '@noisy/core';
import { progressCodec, runEventCodec, runKeys, subjects, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { getJson, putJson, type EventBus, type ObjectStore, type Subscription } from '@noisy/platform';
import { RunController, type ControllerOptions } from './controller.js';
import { acquireLease, releaseLease } from './lease.js';
import { writeRunViews } from '../report/after-run.js';
import { loadRun } from '../records/run-view.js';
import type { GenerationSummary, RunSummary } from '../report/summary.js';

export type RunState = 'pending' | 'running' | 'finished' | 'failed' | 'cancelled';
export interface RunInfo {
  runId: string;
  name: string;
  state: RunState;
  message: string;
  createdAt: string;
  generations: GenerationSummary[];
}

/** What `runs/<id>/state.json` holds. */
export interface PersistedRunState {
  state: RunState;
  message: string;
  /** ISO time of the change. */
  updated: string;
}

interface Active {
  abort: AbortController;
  state: RunState;
  message: string;
  done: Promise<void>;
}

export interface RunManagerOptions {
  /** This controller's name in leases. @default a random id per process */
  holder?: string;
  /** How long a lease lasts without renewal (renewed every third of it). @default 30000 */
  leaseMs?: number;
  /** Passed to every run's controller (deadlines, attempts, poll interval). */
  controller?: ControllerOptions;
}

export class RunManager {
  private readonly active = new Map<string, Active>();
  private readonly holder: string;
  private readonly leaseMs: number;
  private resumer: NodeJS.Timeout | null = null;
  constructor(
    private readonly ports: { store: ObjectStore; bus: EventBus },
    private readonly o: RunManagerOptions = {},
  ) {
    this.holder = o.holder ?? `controller-${randomUUID().slice(0, 8)}`;
    this.leaseMs = o.leaseMs ?? 30_000;
  }

  private async persist(runId: string, state: RunState, message: string): Promise<void> {
    const s: PersistedRunState = { state, message, updated: new Date().toISOString() };
    await putJson(this.ports.store, runKeys.state(runId), s);
  }

  private async persisted(runId: string): Promise<PersistedRunState | null> {
    if (!(await this.ports.store.head(runKeys.state(runId)))) return null;
    return getJson<PersistedRunState>(this.ports.store, runKeys.state(runId));
  }

  /** Compile the experiment text, create (or reuse) its run and drive it in the background. */
  async start(experimentText: string, runId?: string): Promise<RunInfo> {
    const e = compileExperimentFrom(parseExperimentText(experimentText, 'experiment'), 'experiment');
    const record = await new RunController(this.ports).create(e, runId || undefined);
    await this.drive(record.runId);
    return this.get(record.runId);
  }

  /** Drive a run unless this process already does or another controller holds its lease. */
  private async drive(runId: string): Promise<boolean> {
    const current = this.active.get(runId);
    if (current && (current.state === 'running' || current.state === 'pending')) return true;
    if (!(await acquireLease(this.ports.store, runId, this.holder, this.leaseMs))) return false;
    await this.persist(runId, 'running', '');
    const abort = new AbortController();
    const a: Active = { abort, state: 'running', message: '', done: Promise.resolve() };
    const renew = setInterval(() => {
      // A lease lost (this process stalled past its expiry and another took over) stops this drive.
      acquireLease(this.ports.store, runId, this.holder, this.leaseMs).then(
        (held) => held || abort.abort(),
        () => undefined, // the store is down: try again next time, the lease still has time
      );
    }, this.leaseMs / 3);
    const settle = async (state: RunState, message: string) => {
      clearInterval(renew);
      await this.persist(runId, state, message).catch(() => undefined);
      await releaseLease(this.ports.store, runId, this.holder).catch(() => undefined);
      a.state = state;
      a.message = message;
    };
    a.done = new RunController(this.ports, { pollMs: 500, ...this.o.controller, signal: abort.signal })
      .drive(runId)
      .then(
        async () => {
          // Finished as soon as the run is: its 'finished' event is already out, and a client that
          // reads the run after that event must not see it running while the report is written.
          a.state = 'finished';
          a.message = 'finished';
          const problem = await writeRunViews(this.ports.store, runId);
          await settle('finished', problem ? `finished; ${problem}` : 'finished');
        },
        (err) =>
          settle(abort.signal.aborted ? 'cancelled' : 'failed', err instanceof Error ? err.message : String(err)),
      );
    this.active.set(runId, a);
    return true;
  }

  /**
   * Drive every run whose persisted state is `running` and that nobody drives (its controller
   * was restarted or died: its lease expires), now and then every lease period. Stop with the
   * returned function.
   */
  startResumer(onError: (err: unknown) => void = () => undefined): () => void {
    const scan = async () => {
      const keys = (await this.ports.store.list('runs/')).filter((k) => /^runs\/[^/]+\/state\.json$/.test(k));
      for (const key of keys) {
        const runId = key.split('/')[1];
        if (this.active.get(runId)?.state === 'running') continue;
        if ((await this.persisted(runId))?.state === 'running') await this.drive(runId);
      }
    };
    const tick = () => void scan().catch(onError);
    tick();
    this.resumer = setInterval(tick, this.leaseMs);
    return () => {
      if (this.resumer) clearInterval(this.resumer);
      this.resumer = null;
    };
  }

  async get(runId: string): Promise<RunInfo> {
    const record = await loadRun(this.ports.store, runId).catch((cause) => {
      throw new RunFailedError(`no run '${runId}' in ${this.ports.store.url}`, true, { cause });
    });
    const summary = (await this.ports.store.head(runKeys.summary(runId)))
      ? await getJson<RunSummary>(this.ports.store, runKeys.summary(runId))
      : null;
    const a = this.active.get(runId);
    // This process's view first, then the persisted one (a run driven before a restart).
    const persisted = a ? null : await this.persisted(runId);
    const state: RunState = a?.state ?? persisted?.state ?? (summary ? 'finished' : 'pending');
    return {
      runId,
      name: record.experiment.name,
      state,
      message: a?.message ?? persisted?.message ?? '',
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
    if (!(await this.drive(runId)))
      throw new RunFailedError(`run '${runId}' is driven by another controller (its lease is held)`, false);
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
