// Service configuration from the environment (read only by service mains): where the bus, the
// store and the gRPC port are, and what the service may expose and read. Validated, with the variable named in errors.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ConfigError } from '@noisy/core';

function readToken(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new ConfigError('NOISY_GRPC_TOKEN_FILE', `cannot read ${file}: ${(cause as NodeJS.ErrnoException).code}`, {
      cause,
    });
  }
}

export interface ServiceConfig {
  /** NOISY_NATS_URL, e.g. nats://127.0.0.1:4222 */
  natsUrl: string;
  /** NOISY_STORE_URL: s3://bucket?endpoint=...&pathStyle=true or file:///data */
  storeUrl: string;
  /** NOISY_GRPC_PORT @default 0 (a free port, printed at start) */
  grpcPort: number;
  /** NOISY_BACKEND @default auto */
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** NOISY_ALLOW_CPU_FOR_GPU_ROLE: let a GPU role (inference, trainer, evaluator) start on a CPU backend. */
  allowCpu: boolean;
  s3Credentials?: { accessKeyId: string; secretAccessKey: string };
  /** NOISY_ACK_WAIT_MS: how long a task may go without ack or heartbeat before redelivery. @default 60000 */
  ackWaitMs: number;
  /** NOISY_NATS_USER / NOISY_NATS_PASSWORD, NOISY_NATS_TLS_CA (file): NATS authentication and TLS. */
  nats: {
    user?: string;
    password?: string;
    tlsCaFile?: string;
    /** NOISY_NATS_INBOX_PREFIX: subject prefix of reply inboxes (the chart: `_INBOX_noisy-<service>`). @default _INBOX */
    inboxPrefix?: string;
    /** NOISY_STREAM_REPLICAS (@default 1), NOISY_STREAM_MAX_AGE_HOURS (@default 168), NOISY_STREAM_MAX_BYTES (@default 1 GiB, per stream). */
    streams: { replicas: number; maxAgeMs: number; maxBytes: number };
  };
  /** NOISY_GRPC_TLS_CERT / NOISY_GRPC_TLS_KEY (files) serve TLS; with NOISY_GRPC_TLS_CA clients must present certificates (mTLS). */
  grpcTls?: { certFile: string; keyFile: string; caFile?: string };
  /**
   * NOISY_GRPC_HOST: the address gRPC binds. @default 127.0.0.1 (closed by default). A non-loopback
   * address needs TLS or a token (or NOISY_GRPC_ALLOW_INSECURE=true), and is refused in dev mode.
   */
  grpcHost: string;
  /** NOISY_GRPC_TOKEN, or the file NOISY_GRPC_TOKEN_FILE: every call but health must carry `authorization: Bearer <token>`. */
  grpcToken?: string;
  /** NOISY_DATA_ROOTS (':'-separated directories): dataset paths must resolve (symlinks followed) inside one. @default none: only path-less sources */
  dataRoots: string[];
  /** NOISY_DEV=1: set by `noisy dev up`; gRPC must bind loopback. */
  dev: boolean;
}

/** An integer variable in [min, max], or its default when unset. */
function intIn(env: Record<string, string | undefined>, k: string, dflt: number, min: number, max: number): number {
  const v = env[k] === undefined || env[k] === '' ? dflt : Number(env[k]);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(k, `must be an integer from ${min} to ${max}, got '${env[k]}'`);
  return v;
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function serviceConfigFromEnv(env: Record<string, string | undefined>): ServiceConfig {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new ConfigError(k, 'is required');
    return v;
  };
  const port = Number(env.NOISY_GRPC_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError('NOISY_GRPC_PORT', `must be a port number, got '${env.NOISY_GRPC_PORT}'`);
  const backend = (env.NOISY_BACKEND ?? 'auto') as ServiceConfig['backend'];
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(backend))
    throw new ConfigError('NOISY_BACKEND', `must be auto, tensorflow, wasm or cpu, got '${backend}'`);
  const id = env.AWS_ACCESS_KEY_ID,
    secret = env.AWS_SECRET_ACCESS_KEY;
  const ackWaitMs = Number(env.NOISY_ACK_WAIT_MS ?? 60_000);
  if (!Number.isFinite(ackWaitMs) || ackWaitMs < 1000)
    throw new ConfigError('NOISY_ACK_WAIT_MS', `must be at least 1000, got '${env.NOISY_ACK_WAIT_MS}'`);
  if (Boolean(env.NOISY_GRPC_TLS_CERT) !== Boolean(env.NOISY_GRPC_TLS_KEY))
    throw new ConfigError('NOISY_GRPC_TLS_KEY', 'NOISY_GRPC_TLS_CERT and NOISY_GRPC_TLS_KEY go together');
  const dev = env.NOISY_DEV === '1' || env.NOISY_DEV === 'true';
  const grpcHost = env.NOISY_GRPC_HOST || '127.0.0.1';
  if (dev && !isLoopbackHost(grpcHost))
    throw new ConfigError('NOISY_GRPC_HOST', `must be a loopback address in dev mode (NOISY_DEV), got '${grpcHost}'`);
  if (env.NOISY_GRPC_TOKEN && env.NOISY_GRPC_TOKEN_FILE)
    throw new ConfigError('NOISY_GRPC_TOKEN_FILE', 'set NOISY_GRPC_TOKEN or NOISY_GRPC_TOKEN_FILE, not both');
  const grpcToken = env.NOISY_GRPC_TOKEN_FILE
    ? readToken(env.NOISY_GRPC_TOKEN_FILE)
    : env.NOISY_GRPC_TOKEN || undefined;
  if (grpcToken !== undefined && grpcToken.length < 16)
    throw new ConfigError(
      env.NOISY_GRPC_TOKEN_FILE ? 'NOISY_GRPC_TOKEN_FILE' : 'NOISY_GRPC_TOKEN',
      'must be at least 16 characters',
    );
  if (!isLoopbackHost(grpcHost) && !env.NOISY_GRPC_TLS_CERT && !grpcToken && env.NOISY_GRPC_ALLOW_INSECURE !== 'true')
    throw new ConfigError(
      'NOISY_GRPC_HOST',
      `binds ${grpcHost} without TLS or a token: set NOISY_GRPC_TLS_CERT/NOISY_GRPC_TLS_KEY or NOISY_GRPC_TOKEN (or NOISY_GRPC_ALLOW_INSECURE=true behind a network policy)`,
    );
  const dataRoots = (env.NOISY_DATA_ROOTS ?? '').split(':').filter(Boolean);
  if (dataRoots.some((r) => !isAbsolute(r)))
    throw new ConfigError(
      'NOISY_DATA_ROOTS',
      `must be absolute directories separated by ':', got '${env.NOISY_DATA_ROOTS}'`,
    );
  return {
    grpcHost,
    grpcToken,
    dataRoots,
    dev,
    ackWaitMs,
    nats: {
      user: env.NOISY_NATS_USER,
      password: env.NOISY_NATS_PASSWORD,
      tlsCaFile: env.NOISY_NATS_TLS_CA,
      inboxPrefix: env.NOISY_NATS_INBOX_PREFIX || undefined,
      streams: {
        replicas: intIn(env, 'NOISY_STREAM_REPLICAS', 1, 1, 5),
        maxAgeMs: intIn(env, 'NOISY_STREAM_MAX_AGE_HOURS', 168, 1, 24 * 365) * 3600_000,
        maxBytes: intIn(env, 'NOISY_STREAM_MAX_BYTES', 1 << 30, 1 << 20, Number.MAX_SAFE_INTEGER),
      },
    },
    grpcTls: env.NOISY_GRPC_TLS_CERT
      ? { certFile: env.NOISY_GRPC_TLS_CERT, keyFile: env.NOISY_GRPC_TLS_KEY!, caFile: env.NOISY_GRPC_TLS_CA }
      : undefined,
    natsUrl: need('NOISY_NATS_URL'),
    storeUrl: need('NOISY_STORE_URL'),
    grpcPort: port,
    backend,
    allowCpu: env.NOISY_ALLOW_CPU_FOR_GPU_ROLE === 'true',
    s3Credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}
