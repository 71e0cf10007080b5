// A gRPC server with grpc.health.v1 (Check and Watch) for every service, on a port or a free one;
// loopback unless told otherwise, with optional TLS/mTLS and a bearer token.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { healthPb } from '@noisy/contracts/grpc';
import { tokenInterceptor } from './auth.js';

type Status = healthPb.HealthCheckResponse_ServingStatus;

export interface GrpcServer {
  readonly port: number;
  setServing(serving: boolean): void;
  /** Stop accepting calls, let running calls finish (up to graceMs), then force. */
  shutdown(graceMs?: number): Promise<void>;
}

/** TLS from PEM files; with a CA, clients must present a certificate it signed (mTLS). */
export function serverCredentials(tls?: {
  certFile: string;
  keyFile: string;
  caFile?: string;
}): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.caFile ? readFileSync(tls.caFile) : null,
    [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }],
    Boolean(tls.caFile),
  );
}

export async function startGrpcServer(
  port: number,
  register: (server: grpc.Server) => void,
  host = '127.0.0.1',
  tls?: { certFile: string; keyFile: string; caFile?: string },
  token?: string,
): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 << 20,
    'grpc.max_send_message_length': 64 << 20,
    interceptors: token ? [tokenInterceptor(token)] : [],
  });
  let status: Status = healthPb.HealthCheckResponse_ServingStatus.SERVING;
  const watchers = new Set<grpc.ServerWritableStream<healthPb.HealthCheckRequest, healthPb.HealthCheckResponse>>();
  server.addService(healthPb.HealthService, {
    check: (_call: unknown, cb: grpc.sendUnaryData<healthPb.HealthCheckResponse>) => cb(null, { status }),
    watch: (call: grpc.ServerWritableStream<healthPb.HealthCheckRequest, healthPb.HealthCheckResponse>) => {
      watchers.add(call);
      call.write({ status });
      call.on('cancelled', () => watchers.delete(call));
    },
  });
  register(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`,
      serverCredentials(tls),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  return {
    port: bound,
    setServing(serving) {
      status = serving
        ? healthPb.HealthCheckResponse_ServingStatus.SERVING
        : healthPb.HealthCheckResponse_ServingStatus.NOT_SERVING;
      for (const w of watchers) w.write({ status });
    },
    shutdown: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        for (const w of watchers) w.end();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
