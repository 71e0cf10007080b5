// The controller's wait at a barrier: publish each pending task, then poll until every one is
// committed. It never waits forever: a task fails the run when a worker recorded its failure (an
// event or, if the event was lost, a marker in the store), when the bus gave up on it after
// max deliveries, or when it is not committed within its deadline after `maxAttempts` publishes.
// A re-drive publishes the task again under `<taskId>:attempt-<n>` as its message id (the task id
// itself stays the deterministic one the codec checks), so JetStream does not drop it as a duplicate.
import { RunFailedError } from '@noisy/core';
import { subjects, taskCodec, type Step, type TaskFailed } from '@noisy/contracts';
import type { EventBus, ObjectStore } from '@noisy/platform';
import { clearFailure, readFailure } from '../records/failures.js';
import { isCommitted } from '../records/manifest.js';
import type { PlannedTask } from '../records/plan.js';

export interface AwaitContext {
  runId: string;
  headers: Record<string, string>;
  /** Tasks this controller published (events for others are ignored). */
  published: Set<string>;
  /** task.failed events received, by task id. */
  failed: Map<string, TaskFailed>;
  /** Tasks the bus gave up on after max deliveries, by task id. */
  exhausted: Set<string>;
  deadlines: Record<Step, number>;
  maxAttempts: number;
  sleep: () => Promise<void>;
  signal?: AbortSignal;
  /** Told of each re-drive (the run's event stream says so). */
  onRedrive?: (taskId: string, attempt: number) => void;
}

/** The message id of an attempt: the task id for the first, then `<taskId>:attempt-<n>`. */
export const attemptMessageId = (taskId: string, attempt: number): string =>
  attempt === 1 ? taskId : `${taskId}:attempt-${attempt}`;

export async function awaitTasks(
  ports: { store: ObjectStore; bus: EventBus },
  pending: PlannedTask[],
  c: AwaitContext,
): Promise<void> {
  const publish = async (t: PlannedTask, attempt: number) => {
    c.published.add(t.task.taskId);
    await ports.bus.publishTask(
      subjects.task(t.task.step),
      taskCodec,
      t.task,
      attemptMessageId(t.task.taskId, attempt),
      c.headers,
    );
    return { t, attempt, deadline: Date.now() + c.deadlines[t.task.step] };
  };
  let open = [];
  for (const t of pending) {
    // A marker left by an earlier drive of this run (before ResumeRun) is not about this attempt.
    await clearFailure(ports.store, c.runId, t.task.taskId);
    open.push(await publish(t, 1));
  }
  while (open.length) {
    if (c.signal?.aborted) throw new RunFailedError(`run ${c.runId} cancelled`);
    const still = [];
    for (const o of open) if (!(await isCommitted(ports.store, o.t.manifestKey))) still.push(o);
    open = still;
    // Checked after the manifests: a failure reported for a task that has committed is stale or forged.
    for (const o of open) {
      const id = o.t.task.taskId;
      const f = c.failed.get(id) ?? (await readFailure(ports.store, c.runId, id));
      if (f) throw new RunFailedError(`task ${id} failed: ${f.error}`, f.badInput);
      if (c.exhausted.has(id))
        throw new RunFailedError(
          `task ${id} failed: delivered the maximum number of times without finishing ` +
            '(its worker died or hung on every delivery; see the worker logs)',
        );
    }
    const now = Date.now();
    for (let i = 0; i < open.length; i++) {
      const o = open[i];
      if (now < o.deadline) continue;
      const seconds = Math.round(c.deadlines[o.t.task.step] / 1000);
      if (o.attempt >= c.maxAttempts)
        throw new RunFailedError(
          `task ${o.t.task.taskId} failed: not committed within its deadline (${seconds} s) in ${o.attempt} ` +
            'attempt(s); raise NOISY_TASK_DEADLINES if the step needs longer',
        );
      c.onRedrive?.(o.t.task.taskId, o.attempt + 1);
      open[i] = await publish(o.t, o.attempt + 1);
    }
    if (open.length) await c.sleep();
  }
}
