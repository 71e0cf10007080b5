// Service configuration from the environment (read only by service mains): where the bus, the
// store and the gRPC port are. Validated, with the variable named in errors.
import { ConfigError } from '@noisy/core';

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
  nats: { user?: string; password?: string; tlsCaFile?: string };
  /** NOISY_GRPC_TLS_CERT / NOISY_GRPC_TLS_KEY (files) serve TLS; with NOISY_GRPC_TLS_CA clients must present certificates (mTLS). */
  grpcTls?: { certFile: string; keyFile: string; caFile?: string };
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
  return {
    ackWaitMs,
    nats: { user: env.NOISY_NATS_USER, password: env.NOISY_NATS_PASSWORD, tlsCaFile: env.NOISY_NATS_TLS_CA },
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
