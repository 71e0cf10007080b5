// A ControllerService client for `noisy run|status|watch|runs --controller HOST:PORT`.
import * as grpc from '@grpc/grpc-js';
import { ConfigError, NoisyError } from '@noisy/core';
import { progressCodec, runEventCodec, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { controllerPb } from '@noisy/contracts/grpc';

export type Client = controllerPb.ControllerServiceClient;

export function connectController(address: string): Client {
  if (!/^[\w.-]+:\d+$/.test(address)) throw new ConfigError('--controller', `expected HOST:PORT, got '${address}'`);
  return new controllerPb.ControllerServiceClient(address, grpc.credentials.createInsecure());
}

/** Promise form of a unary call; gRPC errors become NoisyErrors that keep the server's message. */
export function call<Req, Res>(
  fn: (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, (err, res) => {
      if (err)
        reject(
          err.code === grpc.status.INVALID_ARGUMENT
            ? new ConfigError('controller', err.details)
            : new NoisyError(`controller: ${err.details || err.message}`, {
                cause: err,
                retryable: err.code === grpc.status.UNAVAILABLE,
              }),
        );
      else resolve(res!);
    }),
  );
}

/** Stream a run's events until it ends; resolves with the last state (of the snapshot or a lifecycle event). */
export function watchRun(
  client: Client,
  runId: string,
  onRun: (e: RunEvent) => void,
  onProgress: (p: ProgressEvent) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let last = '';
    const stream = client.watchRun({ runId });
    stream.on('data', (m: controllerPb.WatchRunResponse) => {
      try {
        if (m.snapshot) last = m.snapshot.state;
        if (m.run) {
          const e = runEventCodec.fromWire(m.run);
          last = e.state;
          onRun(e);
        }
        if (m.progress) onProgress(progressCodec.fromWire(m.progress));
      } catch (err) {
        stream.cancel();
        reject(err);
      }
    });
    stream.on('end', () => resolve(last));
    stream.on('error', (err: grpc.ServiceError) =>
      err.code === grpc.status.CANCELLED
        ? resolve(last)
        : reject(new NoisyError(`controller: ${err.details || err.message}`, { cause: err })),
    );
  });
}

export const rpc = {
  startRun: (c: Client, req: controllerPb.StartRunRequest) =>
    call<controllerPb.StartRunRequest, controllerPb.StartRunResponse>((r, cb) => c.startRun(r, cb), req),
  getRun: (c: Client, runId: string) =>
    call<controllerPb.GetRunRequest, controllerPb.GetRunResponse>((r, cb) => c.getRun(r, cb), { runId }),
  resumeRun: (c: Client, runId: string) =>
    call<controllerPb.ResumeRunRequest, controllerPb.ResumeRunResponse>((r, cb) => c.resumeRun(r, cb), { runId }),
  cancelRun: (c: Client, runId: string) =>
    call<controllerPb.CancelRunRequest, controllerPb.CancelRunResponse>((r, cb) => c.cancelRun(r, cb), { runId }),
  listRuns: (c: Client) =>
    call<controllerPb.ListRunsRequest, controllerPb.ListRunsResponse>((r, cb) => c.listRuns(r, cb), {}),
};
