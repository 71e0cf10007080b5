// A worker: consumes the tasks of some steps from the work queue, runs the stage, and reports
// done / failed events. Retryable errors are nak'ed with backoff up to maxDeliver; anything else
// terminates the task and fails the run with its reason (a poison shard never loops). A task
// given up on leaves a failure marker in the store before it is terminated, and a timer tells
// the bus the task is alive while the stage runs (loading, saving and scanning report no progress).
import { ROOT_CONTEXT, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import { NoisyError, isInputError } from '@noisy/core';
import {
  STEPS,
  durableFor,
  progressCodec,
  subjects,
  taskCodec,
  taskDoneCodec,
  taskFailedCodec,
  type ProgressEvent,
  type Step,
  type Task,
  type TaskDone,
  type TaskFailed,
} from '@noisy/contracts';
import type { Delivery, EventBus, ObjectStore, Subscription } from '@noisy/platform';
import type { StageContext } from '../records/context.js';
import { withRetries, writeFailure } from '../records/failures.js';
import { gangTrainStage, type GangLauncher } from './gang.js';
import { runMetrics } from '../stages/metrics.js';
import { ModelCache } from '../records/model-cache.js';
import { STAGES, type StageFn } from '../stages/registry.js';

export interface WorkerOptions {
  /** Steps this worker serves. @default every step */
  steps?: readonly Step[];
  /** Deliveries before a retryable failure becomes permanent. @default 3 */
  maxDeliver?: number;
  allowDownload?: boolean;
  cacheDir?: string;
  /** Called after every task with its outcome (service mains log it). */
  onTask?: (
    task: Task,
    outcome: 'done' | 'retry' | 'failed' | 'released',
    seconds: number,
    error?: string,
    traceId?: string,
  ) => void;
  /** Called when a delivery of a task starts (service mains log it: operators see what each worker holds). */
  onTaskStart?: (task: Task, delivery: number) => void;
  /** How often a running task tells the bus it is alive; keep it well under the ack wait. @default 10000 */
  keepAliveMs?: number;
  /** Told when the failure of a task could not be recorded or announced (service mains log it). */
  onReportError?: (task: Task, what: string, error: unknown) => void;
  /** Replace stage functions (fault injection in tests). */
  stages?: Partial<Record<Step, StageFn>>;
  /** Starts the ranks of a train step with `train.replicas` > 1; without one such a step fails. */
  gang?: GangLauncher;
}

export interface Worker {
  stop(): Promise<void>;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export function startWorker(ports: { store: ObjectStore; bus: EventBus }, o: WorkerOptions = {}): Worker {
  const models = new ModelCache();
  const maxDeliver = o.maxDeliver ?? 3;
  let stopping = false;
  const train = gangTrainStage(o.gang ?? null);
  const tracer = trace.getTracer('noisy.worker');
  const subs: Subscription[] = (o.steps ?? STEPS).map((step) =>
    ports.bus.consumeTasks<Task>(
      subjects.task(step),
      durableFor(step),
      taskCodec,
      (d) => {
        const task = d.data;
        const parent = propagation.extract(ROOT_CONTEXT, d.headers);
        const attributes = {
          'noisy.run_id': task.runId,
          'noisy.generation': task.generation,
          'noisy.step': task.step,
          'noisy.shard': task.shard,
          'noisy.delivery': d.deliveryCount,
        };
        return tracer.startActiveSpan(
          task.shard >= 0 ? `${task.step} shard ${task.shard}` : task.step,
          { attributes },
          parent,
          async (span) => {
            try {
              await handle(step, d, span);
            } finally {
              span.end();
            }
          },
        );
      },
      { maxDeliver },
    ),
  );
  async function handle(step: Step, d: Delivery<Task>, span: Span): Promise<void> {
    const task = d.data;
    const started = performance.now();
    o.onTaskStart?.(task, d.deliveryCount);
    // The ack deadline must not pass while the stage is alive but silent.
    const keepAlive = setInterval(() => d.working(), o.keepAliveMs ?? 10_000);
    try {
      await run(step, d, span, task, started);
    } finally {
      clearInterval(keepAlive);
    }
  }
  async function run(step: Step, d: Delivery<Task>, span: Span, task: Task, started: number): Promise<void> {
    const ctx: StageContext = {
      store: ports.store,
      allowDownload: o.allowDownload ?? false,
      cacheDir: o.cacheDir,
      shouldStop: () => stopping,
      progress: (p) => {
        d.working();
        const seconds = (performance.now() - started) / 1000;
        if (p.rate !== undefined) runMetrics.throughput(task, p.rate);
        else if (p.unit === 'examples' && p.done > 0 && seconds > 0) runMetrics.throughput(task, p.done / seconds);
        if (p.loss !== undefined) runMetrics.loss(task, p.loss);
        const ev: ProgressEvent = {
          ...p,
          runId: task.runId,
          taskId: task.taskId,
          step: task.step,
          generation: task.generation,
          shard: task.shard,
        };
        ports.bus.publishEvent(subjects.progress, progressCodec, ev).catch(() => undefined);
      },
    };
    const report = (outcome: 'done' | 'retry' | 'failed' | 'released', error?: string) => {
      runMetrics.task(task, outcome);
      span.setAttribute('noisy.outcome', outcome);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      o.onTask?.(task, outcome, (performance.now() - started) / 1000, error, span.spanContext().traceId);
    };
    try {
      const manifestKey = await (o.stages?.[step] ?? (step === 'train' ? train : STAGES[step]))(ctx, task, models);
      span.setAttribute('noisy.manifest', manifestKey);
      d.ack();
      report('done');
      // The manifest is committed: a lost notification only delays the controller until its next poll.
      await ports.bus
        .publishEvent(subjects.taskDone, taskDoneCodec, {
          taskId: task.taskId,
          runId: task.runId,
          manifestKey,
        } satisfies TaskDone)
        .catch(() => undefined);
    } catch (err) {
      if (stopping) {
        d.nak(0); // shutting down: release the task for another worker or the next start
        report('released');
        return;
      }
      const retryable = err instanceof NoisyError && err.retryable && d.deliveryCount < maxDeliver;
      if (retryable) {
        d.nak(Math.min(30_000, 1000 * 2 ** d.deliveryCount));
        report('retry', describeError(err));
        return;
      }
      const failed: TaskFailed = {
        taskId: task.taskId,
        runId: task.runId,
        error: describeError(err),
        permanent: true,
        badInput: isInputError(err),
      };
      // The marker first: once the message is terminated, the store is the only record of why.
      // A marker that cannot be written leaves the task to the controller's deadline.
      await writeFailure(ports.store, failed).catch((e) => o.onReportError?.(task, 'failure marker', e));
      d.term(failed.error);
      report('failed', failed.error);
      await withRetries(() => ports.bus.publishEvent(subjects.taskFailed, taskFailedCodec, failed)).catch((e) =>
        o.onReportError?.(task, 'task.failed event', e),
      );
    }
  }
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(subs.map((s) => s.stop()));
      models.clear();
    },
  };
}
