// The one codec of the bus payloads: encode to and decode from proto binary (the messages of
// proto/noisy/v1/events.proto), map step / run-state / unit names to their enums, and validate
// both ways, so that a malformed or forged message is refused with InvalidMessageError before
// any handler sees it. toWire/fromWire serve the gRPC edge (WatchRun, stage services), which
// carries the same messages.
import { NoisyError } from '@noisy/core';
import * as pb from './gen/noisy/v1/events.js';
import {
  PER_SHARD_STEPS,
  PROGRESS_UNIT_ENUM,
  RUN_STATE_ENUM,
  STEP_ENUM,
  taskIdFor,
  type ProgressEvent,
  type ProgressUnitName,
  type RunEvent,
  type RunEventState,
  type Step,
  type Task,
  type TaskDone,
  type TaskFailed,
} from './subjects.js';

/** A bus or gRPC message that does not decode or breaks its contract; never retryable. */
export class InvalidMessageError extends NoisyError {
  constructor(
    readonly messageType: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid ${messageType} message: ${message}`, options);
  }
}

export interface MessageCodec<T, W> {
  /** The proto message name, for logs and errors. */
  readonly type: string;
  /** Validate and encode to proto binary (a producer bug surfaces at the producer). */
  encode(value: T): Uint8Array;
  /** Decode proto binary and validate; throws InvalidMessageError. */
  decode(bytes: Uint8Array): T;
  toWire(value: T): W;
  /** Validate a decoded proto message (e.g. from gRPC); throws InvalidMessageError. */
  fromWire(message: W): T;
}

/** Generations and shards a message may name: shard names have five digits (shard-00007-of-00128). */
export const MAX_GENERATION = 1000;
export const MAX_SHARDS = 100_000;
const MAX_ID = 400;
const MAX_TEXT = 16_384;
const RUN_ID = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/;

const invert = <K extends string, V>(table: Record<K, V>) =>
  new Map<V, K>(Object.entries(table).map(([k, v]) => [v as V, k as K]));
const STEP_NAMES = invert<Step, pb.Step>(STEP_ENUM);
const RUN_STATES = invert<RunEventState, pb.RunState>(RUN_STATE_ENUM);
const UNITS = invert<ProgressUnitName, pb.ProgressUnit>(PROGRESS_UNIT_ENUM);

/** Field checks of one message type; each throws InvalidMessageError naming the field. */
function checker(type: string) {
  const fail = (message: string): never => {
    throw new InvalidMessageError(type, message);
  };
  const check = {
    fail,
    id(field: string, v: unknown): string {
      if (typeof v !== 'string' || !v || v.length > MAX_ID) fail(`${field} must be 1-${MAX_ID} characters`);
      return v as string;
    },
    /** A task id of the message's run: `<run>:...`. */
    taskOf(runId: string, v: unknown): string {
      const id = check.id('taskId', v);
      if (!id.startsWith(`${runId}:`)) fail(`taskId '${id.slice(0, 80)}' is not a task of run '${runId}'`);
      return id;
    },
    runId(v: unknown): string {
      if (typeof v !== 'string' || !RUN_ID.test(v)) fail(`runId '${String(v).slice(0, 40)}' is not a run id`);
      return v as string;
    },
    text(field: string, v: unknown): string {
      if (typeof v !== 'string' || v.length > MAX_TEXT) fail(`${field} must be text of at most ${MAX_TEXT} characters`);
      return v as string;
    },
    int(field: string, v: unknown, min: number, max: number): number {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        fail(`${field} must be an integer in [${min}, ${max}], got ${String(v)}`);
      return v as number;
    },
    generation: (v: unknown) => check.int('generation', v, 0, MAX_GENERATION),
    shard: (v: unknown) => check.int('shard', v, -1, MAX_SHARDS - 1),
    count(field: string, v: unknown): number {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${field} must be a count, got ${String(v)}`);
      return v as number;
    },
    step(v: unknown): Step {
      if (typeof v !== 'string' || !Object.hasOwn(STEP_ENUM, v)) fail(`unknown step '${String(v)}'`);
      return v as Step;
    },
    stepOf(v: pb.Step): Step {
      return STEP_NAMES.get(v) ?? fail(`unknown step ${v}`);
    },
    /** Whether the shard fits the step, and the id is the task's deterministic id. */
    task(t: Task): Task {
      check.runId(t.runId);
      check.step(t.step);
      check.generation(t.generation);
      check.shard(t.shard);
      if (PER_SHARD_STEPS.includes(t.step) !== t.shard >= 0)
        fail(`step ${t.step} ${t.shard >= 0 ? 'has no shards' : 'needs a shard'}, got shard ${t.shard}`);
      const id = taskIdFor(t.runId, t.step, t.generation, t.shard);
      if (t.taskId !== id) fail(`taskId '${String(t.taskId).slice(0, 80)}' is not this task's id '${id}'`);
      return t;
    },
  };
  return check;
}

/** Cut free text to what receivers accept: a long error must still fail its run, not vanish. */
const clip = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);

function codec<T, W>(
  type: string,
  fns: pb.MessageFns<W>,
  toWire: (v: T) => W,
  fromWire: (w: W) => T,
  validate: (v: T) => T,
  /** Applied before sending (never on receipt): bounds free text. */
  prepare: (v: T) => T = (v) => v,
): MessageCodec<T, W> {
  return {
    type,
    toWire: (v) => toWire(validate(prepare(v))),
    fromWire: (w) => validate(fromWire(w)),
    encode: (v) => fns.encode(toWire(validate(prepare(v)))).finish(),
    decode(bytes) {
      let w: W;
      try {
        w = fns.decode(bytes);
      } catch (cause) {
        throw new InvalidMessageError(type, `not a ${type} (${(cause as Error).message})`, { cause });
      }
      return validate(fromWire(w));
    },
  };
}

const taskCheck = checker('Task');
export const taskCodec = codec<Task, pb.Task>(
  'Task',
  pb.Task,
  (t) => ({ taskId: t.taskId, runId: t.runId, step: STEP_ENUM[t.step], generation: t.generation, shard: t.shard }),
  (w) => ({
    taskId: w.taskId,
    runId: w.runId,
    step: taskCheck.stepOf(w.step),
    generation: w.generation,
    shard: w.shard,
  }),
  (t) => taskCheck.task(t),
);

const doneCheck = checker('TaskDone');
export const taskDoneCodec = codec<TaskDone, pb.TaskDone>(
  'TaskDone',
  pb.TaskDone,
  (d) => ({ taskId: d.taskId, runId: d.runId, manifestKey: d.manifestKey }),
  (w) => w,
  (d) => {
    doneCheck.taskOf(doneCheck.runId(d.runId), d.taskId);
    const key = doneCheck.id('manifestKey', d.manifestKey);
    if (key.startsWith('/') || key.split('/').some((p) => p === '' || p === '..'))
      doneCheck.fail(`manifestKey '${key.slice(0, 80)}' is not an object key`);
    return d;
  },
);

const failedCheck = checker('TaskFailed');
export const taskFailedCodec = codec<TaskFailed, pb.TaskFailed>(
  'TaskFailed',
  pb.TaskFailed,
  (f) => ({ taskId: f.taskId, runId: f.runId, error: f.error, permanent: f.permanent, badInput: f.badInput }),
  (w) => w,
  (f) => {
    failedCheck.taskOf(failedCheck.runId(f.runId), f.taskId);
    failedCheck.text('error', f.error);
    return f;
  },
  (f) => ({ ...f, error: clip(f.error) }),
);

const progressCheck = checker('ProgressEvent');
export const progressCodec = codec<ProgressEvent, pb.ProgressEvent>(
  'ProgressEvent',
  pb.ProgressEvent,
  (p) => ({ ...p, step: STEP_ENUM[p.step], unit: PROGRESS_UNIT_ENUM[p.unit] }),
  (w) => ({
    ...w,
    step: progressCheck.stepOf(w.step),
    unit: UNITS.get(w.unit) ?? progressCheck.fail(`unknown unit ${w.unit}`),
  }),
  (p) => {
    progressCheck.taskOf(progressCheck.runId(p.runId), p.taskId);
    progressCheck.step(p.step);
    progressCheck.generation(p.generation);
    progressCheck.shard(p.shard);
    if (!Object.hasOwn(PROGRESS_UNIT_ENUM, p.unit)) progressCheck.fail(`unknown unit '${String(p.unit)}'`);
    progressCheck.count('done', p.done);
    progressCheck.count('total', p.total);
    return p;
  },
);

const runCheck = checker('RunEvent');
export const runEventCodec = codec<RunEvent, pb.RunEvent>(
  'RunEvent',
  pb.RunEvent,
  (e) => ({
    runId: e.runId,
    state: RUN_STATE_ENUM[e.state],
    message: e.message,
    step: e.step ? STEP_ENUM[e.step] : pb.Step.STEP_UNSPECIFIED,
    generation: e.generation,
  }),
  (w) => ({
    runId: w.runId,
    state: RUN_STATES.get(w.state) ?? runCheck.fail(`unknown state ${w.state}`),
    message: w.message,
    ...(w.step === pb.Step.STEP_UNSPECIFIED ? {} : { step: runCheck.stepOf(w.step) }),
    ...(w.generation === undefined ? {} : { generation: w.generation }),
  }),
  (e) => {
    runCheck.runId(e.runId);
    if (!Object.hasOwn(RUN_STATE_ENUM, e.state)) runCheck.fail(`unknown state '${String(e.state)}'`);
    runCheck.text('message', e.message);
    if (e.step !== undefined) runCheck.step(e.step);
    if (e.generation !== undefined) runCheck.generation(e.generation);
    return e;
  },
  (e) => ({ ...e, message: clip(e.message) }),
);
