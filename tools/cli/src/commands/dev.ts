// noisy dev up | down: the distributed form on one machine. Starts nats-server (JetStream), an
// S3-compatible server (s3rver) and every service as background processes on loopback, records
// them in .noisy/dev.json, and stops exactly those on `down`. Logs go to .noisy/logs/.
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@noisy/core';
import { freePort, waitForPort } from '@noisy/platform/net';
import type { CommandIo } from './io.js';

const SERVICES = ['controller', 'ingestion', 'inference', 'filter', 'trainer', 'evaluator'] as const;

interface DevState {
  controller: string;
  nats: string;
  store: string;
  processes: Array<{ name: string; pid: number; port: number }>;
}

async function waitPort(port: number, name: string, ms = 30_000): Promise<void> {
  await waitForPort(port, ms).catch(() => {
    throw new ConfigError(
      'dev',
      `${name} did not listen on 127.0.0.1:${port} within ${ms / 1000} s; see its log in .noisy/logs/${name}.log`,
    );
  });
}

export async function devUp(o: { dir: string; inference: number }, io: CommandIo): Promise<number> {
  const stateFile = join(o.dir, 'dev.json');
  if (await readFile(stateFile, 'utf8').catch(() => null))
    throw new ConfigError('dev', `a local cluster is already recorded in ${stateFile}; run 'noisy dev down' first`);
  const logs = resolve(o.dir, 'logs');
  await mkdir(logs, { recursive: true });
  const processes: DevState['processes'] = [];
  // Services run from the repository root, where `--import tsx` resolves, whatever the caller's directory.
  const root = resolve(dirname(createRequire(import.meta.url).resolve('@noisy/host')), '..', '..', '..');
  const start = async (name: string, cmd: string, args: string[], env: Record<string, string> = {}) => {
    const log = await open(join(logs, `${name}.log`), 'a');
    const child = spawn(cmd, args, {
      cwd: root,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: { ...process.env, ...env },
    });
    child.unref();
    await log.close();
    return child.pid!;
  };
  try {
    return await bringUp();
  } catch (err) {
    // Stop whatever did start, so that a failed `up` leaves nothing running.
    for (const p of processes) {
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    await rm(stateFile, { force: true });
    throw err;
  }

  async function bringUp(): Promise<number> {
    const natsPort = await freePort();
    processes.push({
      name: 'nats-server',
      pid: await start('nats-server', 'nats-server', [
        '-js',
        '-a',
        '127.0.0.1',
        '-p',
        String(natsPort),
        '-sd',
        resolve(o.dir, 'nats'),
      ]),
      port: natsPort,
    });
    const s3Port = await freePort();
    const s3rver = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
    await mkdir(join(o.dir, 's3'), { recursive: true });
    processes.push({
      name: 's3rver',
      pid: await start('s3rver', process.execPath, [
        '--openssl-legacy-provider',
        s3rver,
        '--address',
        '127.0.0.1',
        '--port',
        String(s3Port),
        '--directory',
        resolve(o.dir, 's3'),
        '--silent',
      ]),
      port: s3Port,
    });
    await Promise.all([waitPort(natsPort, 'nats-server'), waitPort(s3Port, 's3rver')]);
    const store = `s3://noisy/runs?endpoint=http://127.0.0.1:${s3Port}&pathStyle=true&checksums=when_required&create=true`;
    // Seven services share this machine's cores: idle oneDNN threads sleep instead of spinning. The
    // thread count stays the machine's, like an embedded run's, so both give the same numbers
    // (oneDNN's reductions depend on how many threads split them).
    const env = {
      NOISY_NATS_URL: `nats://127.0.0.1:${natsPort}`,
      NOISY_STORE_URL: store,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      NOISY_ALLOW_CPU_FOR_GPU_ROLE: 'true',
      // Dev mode: every service binds loopback (and refuses anything else); datasets under the caller's directory.
      NOISY_DEV: '1',
      NOISY_GRPC_HOST: '127.0.0.1',
      NOISY_DATA_ROOTS: process.cwd(),
      OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive',
    };
    const names = SERVICES.flatMap((s) =>
      s === 'inference' ? Array.from({ length: o.inference }, (_, i) => `inference-${i}`) : [s],
    );
    for (const name of names) {
      const port = await freePort();
      const service = name.replace(/-\d+$/, '');
      processes.push({
        name,
        pid: await start(
          name,
          process.execPath,
          ['--import', 'tsx', join(root, 'services', service, 'src', 'main.ts')],
          { ...env, NOISY_GRPC_PORT: String(port) },
        ),
        port,
      });
    }
    const controller = processes.find((p) => p.name === 'controller')!;
    const state: DevState = { controller: `127.0.0.1:${controller.port}`, nats: env.NOISY_NATS_URL, store, processes };
    await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    for (const p of processes.slice(2)) await waitPort(p.port, p.name, 60_000);
    io.out(
      `local cluster up (${processes.length} processes; logs in ${logs})\n  controller: ${state.controller}\n  nats:       ${state.nats}\n  store:      ${store}\n\n  NOISY_DEV=1 npx --no -- noisy run examples/fashion-mnist-quick.yaml --controller ${state.controller}\n  npx --no -- noisy dev down\n`,
    );
    return 0;
  }
}

export async function devDown(o: { dir: string }, io: CommandIo): Promise<number> {
  const stateFile = join(o.dir, 'dev.json');
  const text = await readFile(stateFile, 'utf8').catch(() => null);
  if (!text) {
    io.out('no local cluster recorded\n');
    return 0;
  }
  const state = JSON.parse(text) as DevState;
  for (const p of [...state.processes].reverse()) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  await rm(stateFile);
  io.out(`stopped ${state.processes.length} processes\n`);
  return 0;
}

/** The controller address recorded by `noisy dev up`, if any. */
export async function devController(dir: string): Promise<string | null> {
  const text = await readFile(join(dir, 'dev.json'), 'utf8').catch(() => null);
  return text ? (JSON.parse(text) as DevState).controller : null;
}
