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
}

export function serviceConfigFromEnv(env: Record<string, string | undefined>): ServiceConfig {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new ConfigError(k, 'is required');
    return v;
  };
  const port = Number(env.NOISY_GRPC_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('NOISY_GRPC_PORT', `must be a port number, got '${env.NOISY_GRPC_PORT}'`);
  const backend = (env.NOISY_BACKEND ?? 'auto') as ServiceConfig['backend'];
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(backend)) throw new ConfigError('NOISY_BACKEND', `must be auto, tensorflow, wasm or cpu, got '${backend}'`);
  const id = env.AWS_ACCESS_KEY_ID, secret = env.AWS_SECRET_ACCESS_KEY;
  return {
    natsUrl: need('NOISY_NATS_URL'), storeUrl: need('NOISY_STORE_URL'), grpcPort: port, backend,
    allowCpu: env.NOISY_ALLOW_CPU_FOR_GPU_ROLE === 'true',
    s3Credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}
