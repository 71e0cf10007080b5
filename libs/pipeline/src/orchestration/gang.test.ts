// How the ranks' ends become the train step's outcome, and what a rank's stdout line may carry.
import { describe, expect, it } from 'vitest';
import { makeTask } from '@noisy/contracts';
import { gangOutcome, parseRankLine, RankFailedError, type RankOutcome } from './gang.js';

const task = makeTask('run-1', 'train', 2);
const ok = (rank: number): RankOutcome => ({ rank, ok: true, how: 'exit 0' });

function failure(outcomes: RankOutcome[]): RankFailedError {
  try {
    gangOutcome(task, outcomes);
  } catch (err) {
    if (err instanceof RankFailedError) return err;
    throw err;
  }
  throw new Error('gangOutcome accepted a failed gang');
}

describe('gang', () => {
  it('gang - every rank exited 0: the step succeeded', () => {
    expect(gangOutcome(task, [ok(0), ok(1)])).toBeUndefined();
  });

  it('gang - a killed rank fails the step retryably, naming it and the collective error of its peer', () => {
    const err = failure([
      {
        rank: 0,
        ok: false,
        how: 'exit 1',
        error: { message: 'CollectiveError: rank 0: allReduce failed (IO)', retryable: true },
      },
      { rank: 1, ok: false, how: 'SIGKILL' },
      ok(2),
    ]);
    expect(err.retryable).toBe(true);
    expect(err.failedRanks).toEqual([0, 1]);
    expect(err.message).toBe(
      'train step of generation 2 failed on 2 of 3 ranks: rank 0 (exit 1: CollectiveError: rank 0: allReduce failed (IO)); rank 1 (SIGKILL)',
    );
  });

  it('gang - a rank that reports a permanent error makes the step fail permanently', () => {
    const err = failure([
      {
        rank: 0,
        ok: false,
        how: 'exit 1',
        error: { message: 'ConfigError: train.batchSize: too small', retryable: false },
      },
      {
        rank: 1,
        ok: false,
        how: 'exit 1',
        error: { message: 'CollectiveError: rank 1: barrier failed (IO)', retryable: true },
      },
    ]);
    expect(err.retryable).toBe(false);
  });

  it('gang - rank lines: progress and error objects are read, anything else is ignored', () => {
    expect(parseRankLine('{"progress":{"unit":"steps","done":3,"total":9}}')).toEqual({
      progress: { unit: 'steps', done: 3, total: 9 },
    });
    expect(parseRankLine('{"error":"x","retryable":false}')).toEqual({ error: 'x', retryable: false });
    expect(parseRankLine('{"other":1}')).toBeNull();
    expect(parseRankLine('{not json')).toBeNull();
    expect(parseRankLine('tfjs: hello')).toBeNull();
  });
});
