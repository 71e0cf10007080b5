import { describe, expect, it } from 'vitest';
import { InvalidMessageError, eventsPb, makeTask, taskCodec } from '@noisy/contracts';
import { toTask } from './task-handler.js';

describe('task handler', () => {
  const wire = taskCodec.toWire(makeTask('run-1', 'predict', 1, 3));

  it('task handler - a stage RPC task is validated by the bus codec; an unset step is the RPC step', () => {
    expect(toTask(wire, 'predict')).toEqual(makeTask('run-1', 'predict', 1, 3));
    expect(toTask({ ...wire, step: eventsPb.Step.STEP_UNSPECIFIED }, 'predict').step).toBe('predict');
  });

  it('task handler - a missing task, a task of another step or a malformed one is an InvalidMessageError', () => {
    expect(() => toTask(undefined, 'predict')).toThrow(InvalidMessageError);
    expect(() => toTask(wire, 'train')).toThrow(/a predict task sent to the train service/);
    expect(() => toTask({ ...wire, taskId: 'run-1:1:predict:4' }, 'predict')).toThrow(/is not this task's id/);
  });
});
