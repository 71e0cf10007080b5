import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DataError, NoisyError } from '@noisy/core';
import { toGrpcError } from './status.js';

const saved = process.env.NOISY_TEST_SECRET_KEY;
afterEach(() => {
  if (saved === undefined) delete process.env.NOISY_TEST_SECRET_KEY;
  else process.env.NOISY_TEST_SECRET_KEY = saved;
});

describe('grpc status', () => {
  it('toGrpcError - input errors are INVALID_ARGUMENT, retryable ones UNAVAILABLE, messages redacted', () => {
    process.env.NOISY_TEST_SECRET_KEY = 'sekrit-value-123';
    const err = toGrpcError(new DataError('rows.csv:2', "label 'x sekrit-value-123 y' is not one of the classes"));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("rows.csv:2: label 'x *** y' is not one of the classes");
    expect(toGrpcError(new ConfigError('NOISY_X', 'bad')).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(toGrpcError(new NoisyError('store down', { retryable: true })).code).toBe(grpc.status.UNAVAILABLE);
    expect(toGrpcError(new Error(`token AWS_SECRET_ACCESS_KEY=abc ${'z'.repeat(3000)}`)).details).toMatch(
      /^token AWS_SECRET_ACCESS_KEY=\*\*\* z{1960,}\.\.\.$/,
    );
  });
});
