// Start a real nats-server with JetStream (Debian package nats-server) on a free loopback port
// and a temporary store directory, for integration tests; stop() kills it and removes the store.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function waitForPort(port: number, timeoutMs = 15_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const s = tcpConnect(port, '127.0.0.1', () => { s.end(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunningServer { url: string; port: number; stop(keepStore?: boolean): Promise<void> }

export interface NatsServerOptions { user?: string; password?: string; port?: number; storeDir?: string }

export async function startNatsServer(o: NatsServerOptions = {}, binary = process.env.NATS_SERVER ?? 'nats-server'): Promise<RunningServer & { storeDir: string }> {
  const port = o.port ?? (await freePort());
  const dir = o.storeDir ?? (await mkdtemp(join(tmpdir(), 'nats-')));
  const auth = o.user ? ['--user', o.user, '--pass', o.password ?? ''] : [];
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...auth], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => child.on('error', (err) => reject(new Error(`cannot start ${binary} (install the Debian package nats-server): ${err.message}`))));
  await Promise.race([waitForPort(port, 15_000, child), failed]);
  return {
    url: `nats://127.0.0.1:${port}`, port, storeDir: dir,
    /** Stop the server; `keepStore` leaves JetStream's directory for a restart on the same port. */
    stop: async (keepStore = false) => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      if (!keepStore) await rm(dir, { recursive: true, force: true });
    },
  };
}
