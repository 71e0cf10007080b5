import { describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import { s3Error } from './s3.js';

const sdkError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

describe('s3 errors', () => {
  it('s3Error - no answer, 5xx and throttling are retryable; access and precondition failures are not', () => {
    const cases: Array<[Error, boolean]> = [
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
      [sdkError('TimeoutError'), true],
      [sdkError('InternalError', 500), true],
      [sdkError('ServiceUnavailable', 503), true],
      [sdkError('SlowDown', 503), true],
      [sdkError('ThrottlingException', 400), true],
      [sdkError('TooManyRequests', 429), true],
      [sdkError('RequestTimeout', 400), true],
      [sdkError('AccessDenied', 403), false],
      [sdkError('NoSuchBucket', 404), false],
      [sdkError('PreconditionFailed', 412), false],
    ];
    for (const [cause, retryable] of cases) {
      const err = s3Error('runs/r/x', 'write', cause);
      expect(err).toBeInstanceOf(ArtifactError);
      expect(err.retryable, cause.name).toBe(retryable);
      expect(err.cause).toBe(cause);
    }
    expect(s3Error('runs/r/x', 'write', sdkError('AccessDenied', 403)).message).toBe(
      'runs/r/x: cannot write: AccessDenied (HTTP 403)',
    );
  });
});
