#!/usr/bin/env node
// Container health check: grpc.health.v1.Health/Check on 127.0.0.1:$NOISY_GRPC_PORT (TLS when the
// service serves TLS); exit 0 when SERVING. Plain JavaScript with a hand-written codec (the request
// is empty; the response is field 1, a varint status), so that it starts fast enough to run every
// few seconds.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';

const port = process.argv[2] ?? process.env.NOISY_GRPC_PORT ?? '50051';
const SERVING = 1;
const Health = grpc.makeGenericClientConstructor(
  {
    check: {
      path: '/grpc.health.v1.Health/Check',
      requestStream: false,
      responseStream: false,
      requestSerialize: () => Buffer.alloc(0),
      requestDeserialize: () => ({}),
      responseSerialize: () => Buffer.alloc(0),
      responseDeserialize: (b) => ({ status: b.length >= 2 && b[0] === 0x08 ? b[1] : 0 }),
    },
  },
  'grpc.health.v1.Health',
);
const client = new Health(`127.0.0.1:${port}`, credentials());

/**
 * Plaintext, or TLS when the service serves TLS (NOISY_GRPC_TLS_CERT): trust NOISY_GRPC_TLS_CA, else
 * the ca.crt beside the certificate, else the certificate itself; present the service's own
 * certificate (for mTLS). The name is not checked: the probe dials 127.0.0.1, not the cert's name.
 */
function credentials() {
  const cert = process.env.NOISY_GRPC_TLS_CERT;
  if (!cert) return grpc.credentials.createInsecure();
  const besideCa = join(dirname(cert), 'ca.crt');
  const ca = process.env.NOISY_GRPC_TLS_CA ?? (existsSync(besideCa) ? besideCa : cert);
  return grpc.credentials.createSsl(
    readFileSync(ca),
    readFileSync(process.env.NOISY_GRPC_TLS_KEY),
    readFileSync(cert),
    { checkServerIdentity: () => undefined },
  );
}
client.check({}, { deadline: Date.now() + 3000 }, (err, res) => {
  client.close();
  if (err) {
    console.error(`unhealthy: ${err.message}`);
    process.exit(1);
  }
  if (res.status !== SERVING) {
    console.error(`unhealthy: status ${res.status}`);
    process.exit(1);
  }
  process.exit(0);
});
