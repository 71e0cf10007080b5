// Durable failure markers: a worker that gives up on a task writes runs/<id>/failures/<task>.json
// before it terminates the message, so the controller learns of the failure from the store even
// when the task.failed event is lost (bus down, controller reconnecting). The event only wakes the
// controller early; the marker is the record.
import { NoisyError } from '@noisy/core';
import { runKeys, type TaskFailed } from '@noisy/contracts';
import { getJson, putJson, type ObjectStore } from '@noisy/platform';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry `fn` on any error, `attempts` times with doubling waits; the last error is rethrown. */
export async function withRetries<R>(fn: () => Promise<R>, attempts = 5, firstWaitMs = 200): Promise<R> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await pause(firstWaitMs * 2 ** (i - 1));
    }
  }
}

export async function writeFailure(store: ObjectStore, f: TaskFailed): Promise<void> {
  await withRetries(() => putJson(store, runKeys.failure(f.runId, f.taskId), { ...f, at: new Date().toISOString() }));
}

/** The marker of a task, or null. A marker that names another task is ignored (it is not this task's record). */
export async function readFailure(store: ObjectStore, runId: string, taskId: string): Promise<TaskFailed | null> {
  const key = runKeys.failure(runId, taskId);
  if (!(await store.head(key))) return null;
  const f = await getJson<Partial<TaskFailed>>(store, key).catch((cause) => {
    throw new NoisyError(`cannot read failure marker ${key}`, { cause, retryable: true });
  });
  if (f.taskId !== taskId || f.runId !== runId || typeof f.error !== 'string') return null;
  return { taskId, runId, error: f.error, permanent: f.permanent !== false, badInput: f.badInput === true };
}

/** Forget a task's marker: the controller does this before it publishes the task again (ResumeRun). */
export async function clearFailure(store: ObjectStore, runId: string, taskId: string): Promise<void> {
  await store.delete(runKeys.failure(runId, taskId));
}
