import { describe, expect, it } from 'vitest';
import {
  InvalidMessageError,
  eventsPb,
  makeTask,
  progressCodec,
  runEventCodec,
  taskCodec,
  taskDoneCodec,
  taskFailedCodec,
  type ProgressEvent,
  type RunEvent,
  type Task,
} from './index.js';

const task = makeTask('fmnist-1a2b3c4d', 'filter-stats', 2, 7);
const progress: ProgressEvent = {
  runId: 'fmnist-1a2b3c4d',
  taskId: 'fmnist-1a2b3c4d:1:train:all',
  step: 'train',
  generation: 1,
  shard: -1,
  unit: 'steps',
  done: 120,
  total: 400,
  epoch: 3,
  epochs: 10,
  loss: 0.731,
  rate: 512.5,
  inputWaitSeconds: 3.5,
  inputWaitFraction: 0.125,
};

describe('codec', () => {
  it('codec - every message survives encode and decode unchanged', () => {
    expect(taskCodec.decode(taskCodec.encode(task))).toEqual(task);
    const done = { taskId: task.taskId, runId: task.runId, manifestKey: 'runs/fmnist-1a2b3c4d/gen-2/x.manifest.json' };
    expect(taskDoneCodec.decode(taskDoneCodec.encode(done))).toEqual(done);
    const failed = { taskId: task.taskId, runId: task.runId, error: 'DataError: bad', permanent: true, badInput: true };
    expect(taskFailedCodec.decode(taskFailedCodec.encode(failed))).toEqual(failed);
    expect(progressCodec.decode(progressCodec.encode(progress))).toEqual(progress);
    const started: RunEvent = { runId: task.runId, state: 'started', message: 'run on memory://' };
    expect(runEventCodec.decode(runEventCodec.encode(started))).toEqual(started);
    const step: RunEvent = {
      runId: task.runId,
      state: 'step-finished',
      message: 'ok',
      step: 'evaluate',
      generation: 0,
    };
    expect(runEventCodec.decode(runEventCodec.encode(step))).toEqual(step);
  });

  it('codec - names users see map to the proto enums on the wire', () => {
    const wire = eventsPb.Task.decode(taskCodec.encode(task));
    expect(wire.step).toBe(eventsPb.Step.STEP_FILTER_STATS);
    expect(task.taskId).toBe('fmnist-1a2b3c4d:2:filter-stats:7');
    expect(runEventCodec.toWire({ runId: 'r', state: 'step-started', message: '' }).state).toBe(
      eventsPb.RunState.RUN_STATE_STEP_STARTED,
    );
    expect(progressCodec.toWire(progress).unit).toBe(eventsPb.ProgressUnit.PROGRESS_UNIT_STEPS);
  });

  it('codec - bytes that are not a message are refused with InvalidMessageError', () => {
    expect(() => taskCodec.decode(new TextEncoder().encode('{"taskId":"x"}'))).toThrow(InvalidMessageError);
    expect(() => taskCodec.decode(Uint8Array.from([0x0a, 0xff, 0xff]))).toThrow(/invalid Task message/);
    expect(() => taskCodec.decode(new Uint8Array())).toThrow(/unknown step 0/); // an empty message: every field at its default
  });

  const wireTask = (over: Partial<eventsPb.Task>) =>
    eventsPb.Task.encode({ ...taskCodec.toWire(task), ...over }).finish();
  it.each([
    ['an empty task id', { taskId: '' }, /taskId '' is not this task's id/],
    ['a task id of another task', { taskId: 'fmnist-1a2b3c4d:2:predict:7' }, /is not this task's id/],
    ['an unknown step', { step: 42 as eventsPb.Step }, /unknown step 42/],
    ['no step', { step: eventsPb.Step.STEP_UNSPECIFIED }, /unknown step 0/],
    ['a negative generation', { generation: -1 }, /generation must be an integer in \[0, 1000\]/],
    ['a shard beyond five digits', { shard: 100_000 }, /shard must be an integer in \[-1, 99999\]/],
    ['a per-shard step without a shard', { shard: -1 }, /needs a shard/],
    ['a run id with a slash', { runId: 'a/../b' }, /is not a run id/],
  ])('codec - a Task with %s is refused', (_, over, message) => {
    expect(() => taskCodec.decode(wireTask(over))).toThrow(message);
    expect(() => taskCodec.decode(wireTask(over))).toThrow(InvalidMessageError);
  });

  it('codec - a long error is cut to 16 KiB when sent, and a longer one is refused on receipt', () => {
    const failed = { taskId: 'r:0:train:all', runId: 'r', error: 'x'.repeat(20_000), permanent: true, badInput: false };
    const sent = taskFailedCodec.decode(taskFailedCodec.encode(failed));
    expect(sent.error).toHaveLength(16_384);
    expect(sent.error.endsWith('…')).toBe(true);
    expect(() => taskFailedCodec.decode(eventsPb.TaskFailed.encode(failed).finish())).toThrow(
      /error must be text of at most 16384 characters/,
    );
  });

  it('codec - a single-task step with a shard is refused', () => {
    const train: Task = { ...makeTask('r', 'train', 1), shard: 3 };
    expect(() => taskCodec.encode(train)).toThrow(/step train has no shards, got shard 3/);
  });

  it('codec - task.done and task.failed must name a task of their run and a relative object key', () => {
    const done = (o: object) =>
      taskDoneCodec.decode(
        eventsPb.TaskDone.encode({
          taskId: 'r:0:ingest:all',
          runId: 'r',
          manifestKey: 'datasets/d/m.json',
          ...o,
        }).finish(),
      );
    expect(() => done({ taskId: 'other:0:ingest:all' })).toThrow(/not a task of run 'r'/);
    expect(() => done({ manifestKey: '/etc/passwd' })).toThrow(/is not an object key/);
    expect(() => done({ manifestKey: 'runs/r/../../x' })).toThrow(/is not an object key/);
    expect(() => done({ manifestKey: '' })).toThrow(/manifestKey must be/);
    expect(() =>
      taskFailedCodec.decode(
        eventsPb.TaskFailed.encode({
          taskId: 'r:0:ingest:all',
          runId: '',
          error: 'x',
          permanent: true,
          badInput: false,
        }).finish(),
      ),
    ).toThrow(InvalidMessageError);
  });

  it('codec - progress with an unknown unit or a negative count, and run events with an unknown state, are refused', () => {
    const wire = progressCodec.toWire(progress);
    expect(() => progressCodec.decode(eventsPb.ProgressEvent.encode({ ...wire, unit: 0 }).finish())).toThrow(
      /unknown unit 0/,
    );
    expect(() => progressCodec.decode(eventsPb.ProgressEvent.encode({ ...wire, done: -5 }).finish())).toThrow(
      /done must be a count/,
    );
    expect(() =>
      runEventCodec.decode(
        eventsPb.RunEvent.encode({ runId: 'r', state: 9 as eventsPb.RunState, message: '', step: 0 }).finish(),
      ),
    ).toThrow(/unknown state 9/);
    expect(() => runEventCodec.encode({ runId: 'r', state: 'running' as RunEvent['state'], message: '' })).toThrow(
      /unknown state 'running'/,
    );
  });

  // Bounds checked at both ends (exactly at a limit passes, one past it fails), so that an
  // off-by-one in a guard shows; every refusal names its message type and field.
  const doneOf = (o: object) => ({ taskId: 'r:0:ingest:all', runId: 'r', manifestKey: 'datasets/d/m.json', ...o });
  const refused = (f: () => unknown, pattern: RegExp) => {
    const err = (() => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect((err as Error).message).toMatch(pattern);
  };

  it('codec - ids and keys up to 400 characters pass, longer or empty ones are refused naming the field', () => {
    const key = (n: number) => `k/${'a'.repeat(n - 2)}`;
    expect(taskDoneCodec.fromWire(doneOf({ manifestKey: key(400) })).manifestKey).toHaveLength(400);
    refused(() => taskDoneCodec.fromWire(doneOf({ manifestKey: key(401) })), /TaskDone.*manifestKey must be 1-400/);
    refused(() => taskDoneCodec.fromWire(doneOf({ taskId: '' })), /TaskDone.*taskId must be 1-400/);
    refused(() => taskDoneCodec.fromWire(doneOf({ taskId: 7 })), /taskId must be/);
    refused(() => taskDoneCodec.fromWire(doneOf({ manifestKey: 'runs//x' })), /'runs\/\/x' is not an object key/);
    refused(() => taskDoneCodec.fromWire(doneOf({ manifestKey: 'runs/r/' })), /is not an object key/);
    refused(() => taskDoneCodec.fromWire(doneOf({ runId: 'a b' })), /TaskDone.*runId 'a b' is not a run id/);
    refused(() => taskDoneCodec.fromWire(doneOf({ runId: 5 })), /runId '5' is not a run id/);
  });

  it('codec - generation and shard are integers within their ranges, ends included', () => {
    const t = (generation: unknown, shard: unknown, step = 'filter-stats') =>
      taskCodec.toWire({ ...makeTask('r', step as Task['step'], 1, 0), generation, shard } as unknown as Task);
    // the id must match, so build each task with its own id
    const task = (g: number, s: number, step = 'filter-stats') => makeTask('r', step as Task['step'], g, s);
    expect(taskCodec.toWire(task(1000, 99_999)).generation).toBe(1000);
    expect(taskCodec.toWire(task(0, 0)).shard).toBe(0);
    expect(taskCodec.toWire(task(3, -1, 'train')).shard).toBe(-1);
    refused(() => taskCodec.toWire(task(1001, 0)), /Task.*generation must be an integer in \[0, 1000\], got 1001/);
    refused(() => taskCodec.toWire(task(-1, 0)), /generation must be an integer/);
    refused(() => taskCodec.toWire(task(1, 100_000)), /shard must be an integer in \[-1, 99999\]/);
    refused(() => taskCodec.toWire(task(1, -2, 'train')), /shard must be an integer/);
    refused(() => t(1.5, 0), /generation must be an integer/);
    refused(() => t('1', 0), /generation must be an integer/);
    refused(() => taskCodec.toWire(task(1, -1)), /step filter-stats needs a shard, got shard -1/);
    refused(() => taskCodec.toWire({ ...task(1, 0, 'train'), shard: 0 }), /step train has no shards, got shard 0/);
    refused(
      () => taskCodec.toWire({ ...task(1, 0), taskId: 'r:bogus' }),
      /taskId 'r:bogus' is not this task's id 'r:1:filter-stats:0'/,
    );
    refused(() => taskCodec.toWire({ ...task(1, 0), step: 'bogus' } as unknown as Task), /unknown step 'bogus'/);
    refused(() => taskCodec.toWire({ ...task(1, 0), step: 'toString' } as unknown as Task), /unknown step/);
  });

  it('codec - counts are finite and not negative; zero passes', () => {
    expect(progressCodec.toWire({ ...progress, done: 0, total: 0 }).done).toBe(0);
    refused(() => progressCodec.toWire({ ...progress, total: -1 }), /ProgressEvent.*total must be a count, got -1/);
    refused(() => progressCodec.toWire({ ...progress, done: Infinity }), /done must be a count/);
    refused(() => progressCodec.toWire({ ...progress, done: NaN }), /done must be a count/);
    refused(() => progressCodec.toWire({ ...progress, done: '5' } as unknown as ProgressEvent), /done must be a count/);
    refused(
      () => progressCodec.toWire({ ...progress, unit: 'bogus' } as unknown as ProgressEvent),
      /unknown unit 'bogus'/,
    );
    refused(() => progressCodec.toWire({ ...progress, generation: 1001 }), /generation must be/);
  });

  it('codec - free text: exactly 16 KiB passes both ways, longer is cut when sent and refused when received', () => {
    const text = (n: number) => 'e'.repeat(n);
    const failed = (error: string) => ({
      taskId: 'r:0:ingest:all',
      runId: 'r',
      error,
      permanent: true,
      badInput: false,
    });
    expect(taskFailedCodec.toWire(failed(text(16_384))).error).toBe(text(16_384));
    expect(taskFailedCodec.toWire(failed(text(16_385))).error).toBe(`${text(16_383)}…`);
    expect(taskFailedCodec.fromWire(failed(text(16_384))).error).toHaveLength(16_384);
    refused(() => taskFailedCodec.fromWire(failed(text(16_385))), /TaskFailed.*error must be text of at most 16384/);
    refused(() => taskFailedCodec.fromWire({ ...failed('x'), error: 3 } as never), /error must be text/);
    const run = { runId: 'r', state: 'failed' as RunEvent['state'], message: '' };
    refused(() => runEventCodec.fromWire({ ...runEventCodec.toWire(run), message: text(16_385) }), /RunEvent.*message/);
  });

  it('codec - run events carry step and generation only when set, and check them', () => {
    const run = { runId: 'r', state: 'failed' as RunEvent['state'], message: 'm' };
    const bare = runEventCodec.fromWire(runEventCodec.toWire(run));
    expect(bare).toEqual(run);
    expect('generation' in bare).toBe(false);
    expect(runEventCodec.decode(runEventCodec.encode({ ...run, step: 'train', generation: 2 }))).toEqual({
      ...run,
      step: 'train',
      generation: 2,
    });
    refused(() => runEventCodec.toWire({ ...run, step: 'bogus' } as unknown as RunEvent), /RunEvent.*unknown step/);
    refused(() => runEventCodec.toWire({ ...run, generation: 1001 }), /RunEvent.*generation must be/);
  });

  it('codec - undecodable bytes name the type and keep the cause', () => {
    const err = (() => {
      try {
        taskCodec.decode(Uint8Array.from([0xff, 0xff, 0xff]));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect(err!.message).toMatch(/not a Task \(/);
    expect(err!.cause).toBeInstanceOf(Error);
  });
});
