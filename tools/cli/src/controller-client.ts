// A ControllerService client for `noisy run|status|watch|runs --controller HOST:PORT`, with TLS
// (NOISY_TLS_CA; NOISY_TLS_CERT + NOISY_TLS_KEY for mTLS) and a bearer token (NOISY_TOKEN or
// NOISY_TOKEN_FILE). Dev mode (NOISY_DEV=1, as `noisy dev up` prints) connects to loopback only.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, NoisyError } from '@noisy/core';
import { progressCodec, runEventCodec, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { controllerPb } from '@noisy/contracts/grpc';
import { isLoopbackHost } from '@noisy/platform';

export type Client = controllerPb.ControllerServiceClient;

/** How to reach the controller; each field falls back to its environment variable. */
export interface ControllerAuth {
  /** PEM file of the CA that signed the controller's certificate (turns TLS on). NOISY_TLS_CA */
  tlsCa?: string;
  /** Client certificate and key for mTLS. NOISY_TLS_CERT, NOISY_TLS_KEY */
  tlsCert?: string;
  tlsKey?: string;
  /** Bearer token. NOISY_TOKEN, or the file NOISY_TOKEN_FILE */
  token?: string;
  /** Loopback only. NOISY_DEV=1 */
  dev?: boolean;
}

export function authFromEnv(env: Record<string, string | undefined>, o: ControllerAuth = {}): ControllerAuth {
  const file = (setting: string, path: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (cause) {
      throw new ConfigError(setting, `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code}`, { cause });
    }
  };
  return {
    tlsCa: o.tlsCa ?? env.NOISY_TLS_CA,
    tlsCert: o.tlsCert ?? env.NOISY_TLS_CERT,
    tlsKey: o.tlsKey ?? env.NOISY_TLS_KEY,
    token: o.token ?? (env.NOISY_TOKEN_FILE ? file('NOISY_TOKEN_FILE', env.NOISY_TOKEN_FILE) : env.NOISY_TOKEN),
    dev: o.dev ?? (env.NOISY_DEV === '1' || env.NOISY_DEV === 'true'),
  };
}

/** The --tls-ca/--tls-cert/--tls-key/--token-file flags of a command, over the environment. */
export interface AuthFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tokenFile?: string;
}
export const authOf = (o: AuthFlags, env: Record<string, string | undefined> = process.env): ControllerAuth =>
  authFromEnv(o.tokenFile ? { ...env, NOISY_TOKEN_FILE: o.tokenFile, NOISY_TOKEN: undefined } : env, {
    tlsCa: o.tlsCa,
    tlsCert: o.tlsCert,
    tlsKey: o.tlsKey,
  });

function channelCredentials(a: ControllerAuth): grpc.ChannelCredentials {
  if (Boolean(a.tlsCert) !== Boolean(a.tlsKey))
    throw new ConfigError(
      'NOISY_TLS_KEY',
      'a client certificate (NOISY_TLS_CERT) and its key (NOISY_TLS_KEY) go together',
    );
  if (!a.tlsCa && !a.tlsCert) return grpc.credentials.createInsecure();
  const read = (setting: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (cause) {
      throw new ConfigError(setting, `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code}`, { cause });
    }
  };
  return grpc.credentials.createSsl(
    a.tlsCa ? read('NOISY_TLS_CA', a.tlsCa) : null,
    a.tlsKey ? read('NOISY_TLS_KEY', a.tlsKey) : null,
    a.tlsCert ? read('NOISY_TLS_CERT', a.tlsCert) : null,
  );
}

/** Adds `authorization: Bearer <token>` to every call. */
function tokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

export function connectController(address: string, auth: ControllerAuth = authFromEnv(process.env)): Client {
  const m = /^(\[[0-9a-fA-F:]+\]|[\w.-]+):\d+$/.exec(address);
  if (!m) throw new ConfigError('--controller', `expected HOST:PORT, got '${address}'`);
  if (auth.dev && !isLoopbackHost(m[1]))
    throw new ConfigError(
      'NOISY_DEV',
      `dev mode connects to loopback controllers only (127.0.0.1, ::1, localhost), not '${m[1]}'; unset NOISY_DEV to reach a cluster`,
    );
  return new controllerPb.ControllerServiceClient(address, channelCredentials(auth), {
    interceptors: auth.token ? [tokenInterceptor(auth.token)] : [],
  });
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
