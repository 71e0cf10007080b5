// Map the product's named errors to gRPC status codes, at the edge only; every message is redacted.
import * as grpc from '@grpc/grpc-js';
import { InvalidMessageError } from '@noisy/contracts';
import { NoisyError, RunFailedError, isInputError, redact, secretValues } from '@noisy/core';

/** The error as a client sees it: status by error class, message redacted (no secret of this process, short excerpts). */
export function toGrpcError(err: unknown): grpc.ServiceError {
  const message = redact(err instanceof Error ? err.message : String(err), secretValues(process.env));
  let code = grpc.status.INTERNAL;
  if (isInputError(err) || err instanceof InvalidMessageError || (err instanceof RunFailedError && err.badInput))
    code = grpc.status.INVALID_ARGUMENT;
  else if (err instanceof NoisyError && err.retryable) code = grpc.status.UNAVAILABLE;
  else if (err instanceof RunFailedError) code = grpc.status.ABORTED;
  return Object.assign(new Error(message), {
    code,
    details: message,
    metadata: new grpc.Metadata(),
  }) as grpc.ServiceError;
}

/** Wrap a promise-returning unary handler into grpc-js' callback form. */
export function unary<Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    fn(call.request).then(
      (r) => cb(null, r),
      (err) => cb(toGrpcError(err)),
    );
  };
}
