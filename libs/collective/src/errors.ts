// Collective failures. All are retryable: a peer that died, hung or never came fails this attempt
// of the train step, and the retry resumes from its last in-training checkpoint.
import { NoisyError } from '@noisy/core';

/**
 * JOIN: ranks never joined the rendezvous (`missingRanks` names them); TIMEOUT: a peer did not
 * answer within the collective timeout (hung or overloaded); IO: a peer's connection closed (it
 * died); BROKEN: an earlier failure left this communicator unusable; GLOO: anything else.
 */
export type CollectiveFailure = 'JOIN' | 'TIMEOUT' | 'IO' | 'BROKEN' | 'GLOO';

export class CollectiveError extends NoisyError {
  constructor(
    readonly failure: CollectiveFailure,
    readonly rank: number,
    readonly operation: string,
    message: string,
    readonly missingRanks: number[] = [],
    options?: { cause?: unknown },
  ) {
    super(`rank ${rank}: ${operation} failed (${failure}): ${message}`, { ...options, retryable: true });
  }
}

/** The Gloo addon is not built here, so replicas > 1 cannot run (permanent until installed). */
export class CollectiveUnavailableError extends NoisyError {
  constructor(why: string) {
    super(
      `data-parallel training needs the Gloo addon, which is not available (${why}): ` +
        'apt-get install libgloo-dev, then npm ci (or node libs/collective/build.mjs); or set train.replicas: 1',
    );
  }
}
