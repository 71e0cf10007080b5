// Start a real nats-server with JetStream (Debian package nats-server) on a free loopback port
// and a temporary store directory, for integration tests; stop() kills it and removes the store.
import { spawn } from 'node:child_process';
import { freePort, waitForPort } from '@noisy/platform/net';

export { freePort, waitForPort };
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  url: string;
  port: number;
  stop(keepStore?: boolean): Promise<void>;
}

export interface NatsServerOptions {
  user?: string;
  password?: string;
  port?: number;
  storeDir?: string;
}

export async function startNatsServer(
  o: NatsServerOptions = {},
  binary = process.env.NATS_SERVER ?? 'nats-server',
): Promise<RunningServer & { storeDir: string }> {
  const port = o.port ?? (await freePort());
  const dir = o.storeDir ?? (await mkdtemp(join(tmpdir(), 'nats-')));
  const auth = o.user ? ['--user', o.user, '--pass', o.password ?? ''] : [];
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...auth], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) =>
    child.on('error', (err) =>
      reject(new Error(`cannot start ${binary} (install the Debian package nats-server): ${err.message}`)),
    ),
  );
  await Promise.race([waitForPort(port, 15_000, child), failed]);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir: dir,
    /** Stop the server; `keepStore` leaves JetStream's directory for a restart on the same port. */
    stop: async (keepStore = false) => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      if (!keepStore) await rm(dir, { recursive: true, force: true });
    },
  };
}
