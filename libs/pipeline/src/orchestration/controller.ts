// The run controller: a state machine over the run's phases for G generations. It recomputes
// its state from committed manifests on every start (so a killed run resumes without redoing or
// duplicating finished shards), fans out one task per shard, waits at the barriers, and fails
// the run with the reason of a task that failed for good. It talks to workers only through the
// event-bus and object-store ports: the same controller drives the embedded default and a cluster.
// The store is the truth, the bus only a hint: a task is done when its manifest is committed (a
// task.done event just wakes the wait early), and a task.failed event counts only for a task this
// controller published and that has not committed, so a forged event can neither skip nor fail work.
// No wait is unbounded: see await-tasks.ts for markers, max-deliveries and per-task deadlines.
import { SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import { ConfigError, sha256Hex, type CompiledExperiment } from '@noisy/core';
import {
  checkRunId,
  datasetKeys,
  runEventCodec,
  runKeys,
  subjects,
  taskCodec,
  taskDoneCodec,
  taskFailedCodec,
  type RunEvent,
  type Step,
  type TaskFailed,
} from '@noisy/contracts';
import { putJson, type EventBus, type ObjectStore } from '@noisy/platform';
import { awaitTasks } from './await-tasks.js';
import { DEFAULT_TASK_DEADLINES_MS } from './deadlines.js';
import { isCommitted } from '../records/manifest.js';
import { planIngest, planRun, type Phase } from '../records/plan.js';
import { loadRun, type RunRecord } from '../records/run-view.js';
import { datasetIdFor } from '../stages/ingest.js';
import { buildSummary, type RunSummary } from '../report/summary.js';
import { readManifest, verifyCommit } from '../stages/manifests.js';

export interface ControllerOptions {
  /** Lifecycle events (also published on the bus). */
  onRunEvent?: (e: RunEvent) => void;
  /** How often to re-check manifests while waiting (covers lost events). @default 1000 */
  pollMs?: number;
  signal?: AbortSignal;
  /** Deadline of one attempt of a task, per step, in ms. @default DEFAULT_TASK_DEADLINES_MS */
  deadlines?: Partial<Record<Step, number>>;
  /** Publishes of a task (the first and its re-drives) before the run fails naming it. @default 3 */
  maxAttempts?: number;
}

/**
 * The default run id: the experiment's name and a hash of its compiled config, so the same file
 * resumes the same run.
 */
export function runIdFor(e: CompiledExperiment): string {
  return `${e.name}-${sha256Hex(JSON.stringify(e)).slice(0, 8)}`;
}

export class RunController {
  constructor(
    private readonly ports: { store: ObjectStore; bus: EventBus },
    private readonly o: ControllerOptions = {},
  ) {}

  /** Create the run record, or check that an existing one has the same experiment. */
  async create(e: CompiledExperiment, runId = runIdFor(e)): Promise<RunRecord> {
    checkRunId(runId);
    const key = runKeys.experiment(runId);
    if (await this.ports.store.head(key)) {
      const existing = await loadRun(this.ports.store, runId);
      if (JSON.stringify(existing.experiment) !== JSON.stringify(e)) {
        throw new ConfigError(
          '--run-id',
          `run '${runId}' already exists with a different experiment; choose another run id`,
        );
      }
      return existing;
    }
    const record: RunRecord = {
      runId,
      datasetId: datasetIdFor(e, sha256Hex),
      experiment: e,
      createdAt: new Date().toISOString(),
    };
    await putJson(this.ports.store, key, record);
    return record;
  }

  private emit(e: RunEvent): void {
    this.o.onRunEvent?.(e);
    // Events are notifications: a bus that is down or closed must not fail the run (state lives in manifests).
    this.ports.bus.publishEvent(subjects.run, runEventCodec, e).catch(() => undefined);
  }

  /** Drive a run to completion (or resume it) and return its summary. */
  async drive(runId: string): Promise<RunSummary> {
    const record = await loadRun(this.ports.store, runId);
    const { experiment: e, datasetId } = record;
    const published = new Set<string>();
    const failed = new Map<string, TaskFailed>();
    const exhausted = new Set<string>();
    let wake: (() => void) | null = null;
    // task.done only wakes the wait: awaitTasks checks the manifest itself.
    const subDone = this.ports.bus.subscribeEvents(subjects.taskDone, taskDoneCodec, (_, d) => {
      if (d.runId === runId && published.has(d.taskId)) wake?.();
    });
    const subFailed = this.ports.bus.subscribeEvents(subjects.taskFailed, taskFailedCodec, (_, d) => {
      if (d.runId === runId && published.has(d.taskId)) {
        failed.set(d.taskId, d);
        wake?.();
      }
    });
    const subExhausted = this.ports.bus.watchExhausted(taskCodec, (t) => {
      if (t.runId === runId && published.has(t.taskId)) {
        exhausted.add(t.taskId);
        wake?.();
      }
    });
    this.emit({ runId, state: 'started', message: `run ${runId} on ${this.ports.store.url}` });
    // One trace per generation: a root span per generation, a child per phase, and the workers'
    // spans per task under the phase (its context rides in the task messages' headers).
    const tracer = trace.getTracer('noisy.controller');
    const generations = new Map<number, Span>();
    const generationSpan = (g: number) => {
      let s = generations.get(g);
      if (!s) {
        s = tracer.startSpan(`generation ${g}`, {
          root: true,
          attributes: { 'noisy.run_id': runId, 'noisy.generation': g, 'noisy.role': g === 0 ? 'teacher' : 'student' },
        });
        generations.set(g, s);
      }
      return s;
    };
    try {
      const runPhase = async (phase: Phase) => {
        const pending = [];
        // A manifest whose data fails its checksum is withdrawn here, so its task runs again.
        for (const t of phase.tasks) if (!(await verifyCommit(this.ports.store, t.manifestKey))) pending.push(t);
        if (!pending.length) return;
        this.emit({
          runId,
          state: 'step-started',
          step: phase.tasks[0].task.step,
          generation: phase.generation,
          message: `${phase.name} gen ${phase.generation}: ${pending.length} task(s)`,
        });
        const span = tracer.startSpan(
          phase.name,
          {
            attributes: {
              'noisy.run_id': runId,
              'noisy.generation': phase.generation,
              'noisy.tasks': pending.length,
              'noisy.barrier': phase.name === 'filter-thresholds' || phase.name === 'ingest-select',
            },
          },
          trace.setSpan(context.active(), generationSpan(phase.generation)),
        );
        const headers: Record<string, string> = {};
        propagation.inject(trace.setSpan(context.active(), span), headers);
        try {
          await awaitTasks(this.ports, pending, {
            runId,
            headers,
            published,
            failed,
            exhausted,
            deadlines: { ...DEFAULT_TASK_DEADLINES_MS, ...this.o.deadlines },
            maxAttempts: this.o.maxAttempts ?? 3,
            signal: this.o.signal,
            sleep: () =>
              new Promise<void>((r) => {
                wake = r;
                setTimeout(r, this.o.pollMs ?? 1000);
              }),
            onRedrive: (taskId, attempt) =>
              this.emit({
                runId,
                state: 'step-started',
                step: phase.tasks[0].task.step,
                generation: phase.generation,
                message: `${taskId} not committed by its deadline: published again (attempt ${attempt})`,
              }),
          });
        } finally {
          span.end();
        }
        this.emit({
          runId,
          state: 'step-finished',
          step: phase.tasks[0].task.step,
          generation: phase.generation,
          message: `${phase.name} gen ${phase.generation} done`,
        });
        if (phase.name === 'evaluate') {
          generationSpan(phase.generation).end();
          generations.delete(phase.generation);
        }
      };
      // Ingest (unless the dataset has committed): list the source's parts, then fan out over them.
      if (!(await isCommitted(this.ports.store, datasetKeys.manifest(datasetId)))) {
        for (const phase of planRun(runId, e, datasetId, null)) await runPhase(phase);
        const plan = await readManifest(this.ports.store, datasetKeys.ingestPlan(datasetId), 'ingest-plan');
        for (const phase of planIngest(runId, datasetId, plan.data.parts.length)) await runPhase(phase);
      }
      const dataset = await readManifest(this.ports.store, datasetKeys.manifest(datasetId), 'dataset');
      const shards = dataset.data.unlabeled.length;
      const phases = planRun(runId, e, datasetId, shards);
      for (const phase of phases.slice(1)) await runPhase(phase);
      const summary = await buildSummary(this.ports.store, runId, e, datasetId, phases);
      this.emit({ runId, state: 'finished', message: `run ${runId} finished` });
      return summary;
    } catch (err) {
      this.emit({ runId, state: 'failed', message: err instanceof Error ? err.message : String(err) });
      for (const s of generations.values())
        s.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      for (const s of generations.values()) s.end();
      await subDone.stop();
      await subFailed.stop();
      await subExhausted.stop();
    }
  }
}
