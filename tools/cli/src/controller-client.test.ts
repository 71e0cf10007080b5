// The controller client against a real grpc-js server: bearer token and TLS/mTLS (certificates
// made by openssl at test time), and dev mode's loopback-only rule.
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, NoisyError } from '@noisy/core';
import { controllerPb, healthPb } from '@noisy/contracts/grpc';
import { startGrpcServer, type GrpcServer } from '@noisy/platform/grpc';
import { connectController, rpc, type ControllerAuth } from './controller-client.js';

const TOKEN = 'a-test-token-of-32-characters-xx';
let server: GrpcServer | null = null;
afterEach(async () => {
  await server?.shutdown(100);
  server = null;
});

async function serve(tls?: { certFile: string; keyFile: string; caFile?: string }, token?: string) {
  const unimplemented = () => {
    throw new Error('not used');
  };
  server = await startGrpcServer(
    0,
    (s) =>
      s.addService(controllerPb.ControllerServiceService, {
        listRuns: (_call: unknown, cb: grpc.sendUnaryData<controllerPb.ListRunsResponse>) => cb(null, { runs: [] }),
        startRun: unimplemented,
        getRun: unimplemented,
        cancelRun: unimplemented,
        resumeRun: unimplemented,
        watchRun: unimplemented,
      }),
    '127.0.0.1',
    tls,
    token,
  );
  return `127.0.0.1:${server.port}`;
}

async function list(address: string, auth: ControllerAuth) {
  const client = connectController(address, auth);
  try {
    return await rpc.listRuns(client);
  } finally {
    client.close();
  }
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all made by openssl now. */
async function certificates(): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const dir = await mkdtemp(join(tmpdir(), 'tls-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...key, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=noisy-test-ca');
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...key, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=noisy-${who}`);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.pem`),
      '-days',
      '1',
      '-extfile',
      f(`${who}.ext`),
    );
  }
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

const code = (e: unknown) => ((e as NoisyError).cause as grpc.ServiceError | undefined)?.code;

describe('controller client', () => {
  it('connectController - dev mode refuses a non-loopback address before connecting', () => {
    for (const address of ['10.0.0.7:50051', 'controller.example.com:443', '0.0.0.0:50051']) {
      const err = (() => {
        try {
          connectController(address, { dev: true });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(/^NOISY_DEV: dev mode connects to loopback controllers only/);
    }
    for (const address of ['127.0.0.1:50051', 'localhost:1', '[::1]:50051'])
      connectController(address, { dev: true }).close();
  });

  it('token auth - a missing or wrong token is refused UNAUTHENTICATED, the right one passes, health needs none', async () => {
    const address = await serve(undefined, TOKEN);
    expect(code(await list(address, {}).catch((e: unknown) => e))).toBe(grpc.status.UNAUTHENTICATED);
    const wrong = await list(address, { token: `${TOKEN}-not` }).catch((e: unknown) => e);
    expect(code(wrong)).toBe(grpc.status.UNAUTHENTICATED);
    expect((wrong as Error).message).toBe('controller: invalid token');
    expect(await list(address, { token: TOKEN })).toEqual({ runs: [] });
    const health = new healthPb.HealthClient(address, grpc.credentials.createInsecure());
    const status = await new Promise<healthPb.HealthCheckResponse>((res, rej) =>
      health.check({ service: '' }, (e, r) => (e ? rej(e) : res(r!))),
    );
    health.close();
    expect(status.status).toBe(healthPb.HealthCheckResponse_ServingStatus.SERVING);
  });

  it('mTLS - a client with the CA and a signed certificate passes; plaintext and certificate-less clients are refused', async () => {
    const c = await certificates();
    const address = await serve({ certFile: c.serverCert, keyFile: c.serverKey, caFile: c.ca });
    expect(await list(address, { tlsCa: c.ca, tlsCert: c.clientCert, tlsKey: c.clientKey })).toEqual({ runs: [] });
    expect(code(await list(address, {}).catch((e: unknown) => e))).toBe(grpc.status.UNAVAILABLE);
    expect(code(await list(address, { tlsCa: c.ca }).catch((e: unknown) => e))).toBe(grpc.status.UNAVAILABLE);
    expect(() => connectController(address, { tlsCa: c.ca, tlsCert: c.clientCert })).toThrow(ConfigError);
  });
});
