// Liveness against real servers (nats-server, s3rver): a task whose worker dies on every delivery
// fails the run within its deadline, naming the task; a lost task.failed still ends the run; a NATS
// outage turns the services' health NOT_SERVING until the bus is back; a stalled S3 write is retried.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, RunFailedError, compileExperiment } from '@noisy/core';
import { subjects } from '@noisy/contracts';
import type { EventBus } from '@noisy/platform';
import { NatsEventBus } from '@noisy/platform/nats';
import { S3ObjectStore, parseS3Url } from '@noisy/platform/s3';
import { RunController, readFailure, startWorker } from '@noisy/pipeline';
import { ServiceProcess, startNatsServer, startS3Server } from '@noisy/testing';

const ROOT = join(import.meta.dirname, '..', '..');
const experiment = (name: string) =>
  compileExperiment({
    name,
    seed: 1,
    data: {
      source: { kind: 'synthetic', classes: 3, size: 8, train: 60, test: 15 },
      labeledPerClass: 5,
      unlabeledShards: 2,
    },
    train: { epochs: 1, batchSize: 8, learningRate: 0.5, warmupEpochs: 0, randAugment: null, padCrop: false },
    teacher: { model: { name: 'cnn-small', width: 0.5 } },
    students: [{ model: { name: 'cnn-small', width: 0.5 } }],
  });

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the pods' probe runs: grpc.health.v1 Check, exit 0 when SERVING. */
const healthy = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = spawn(process.execPath, [join(ROOT, 'tools/healthcheck/grpc-health.mjs'), String(port)], {
      stdio: 'ignore',
    });
    c.on('exit', (code) => resolve(code === 0));
  });

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function servers() {
  const nats = await startNatsServer();
  cleanups.push(() => nats.stop());
  const s3 = await startS3Server();
  cleanups.push(() => s3.stop());
  const storeUrl = `s3://liveness/runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`;
  const store = await new S3ObjectStore(parseS3Url(storeUrl, s3.credentials)).open();
  return { nats, s3, storeUrl, store };
}

describe('liveness', () => {
  it('liveness - a stage that SIGKILLs its process on every delivery fails the run within its deadline, naming the task', async () => {
    const { nats, store } = await servers();
    // The worker comes back after every kill, as a pod would.
    const loop = spawn(
      'bash',
      [
        '-c',
        `while true; do "${process.execPath}" --import tsx tests/e2e/fixtures/self-killing-worker.ts ${nats.url} 1500; sleep 0.2; done`,
      ],
      { cwd: ROOT, stdio: 'ignore', detached: true },
    );
    cleanups.push(async () => {
      process.kill(-loop.pid!, 'SIGKILL');
    });
    const bus = await NatsEventBus.connect({ servers: nats.url });
    cleanups.push(() => bus.close());
    const deadlineMs = 90_000;
    const controller = new RunController(
      { store, bus },
      { pollMs: 200, deadlines: { ingest: deadlineMs }, maxAttempts: 1 },
    );
    const { runId } = await controller.create(experiment('killed'));
    const started = Date.now();
    const err = await controller.drive(runId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(String(err)).toContain(`task ${runId}:0:ingest:all failed: delivered the maximum number of times`);
    expect(Date.now() - started).toBeLessThan(deadlineMs);
  }, 150_000);

  it('liveness - a task.failed dropped on the bus still ends the run, from the failure marker', async () => {
    const { nats, store } = await servers();
    const workerBus = await NatsEventBus.connect({ servers: nats.url });
    cleanups.push(() => workerBus.close());
    // The worker's bus loses every task.failed event (a partition at the wrong moment).
    const lossy: EventBus = Object.assign(Object.create(workerBus) as EventBus, {
      publishEvent: async (subject: string, ...rest: unknown[]) => {
        if (subject === subjects.taskFailed) throw new Error('connection lost');
        return (workerBus.publishEvent as (...a: unknown[]) => Promise<void>).call(workerBus, subject, ...rest);
      },
    });
    const worker = startWorker(
      { store, bus: lossy },
      {
        steps: ['ingest'],
        stages: {
          ingest: async () => {
            throw new DataError('train.csv', 'row 3 has 2 fields, expected 5');
          },
        },
      },
    );
    cleanups.push(() => worker.stop());
    const bus = await NatsEventBus.connect({ servers: nats.url });
    cleanups.push(() => bus.close());
    const controller = new RunController({ store, bus }, { pollMs: 200 });
    const { runId } = await controller.create(experiment('dropped'));
    const err = await controller.drive(runId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(String(err)).toMatch(new RegExp(`task ${runId}:0:ingest:all failed: DataError: .*row 3 has 2 fields`));
    expect((await readFailure(store, runId, `${runId}:0:ingest:all`))?.badInput).toBe(true);
  }, 120_000);

  it('liveness - during a NATS outage the service reports NOT_SERVING, and SERVING again once the bus is back', async () => {
    // The client reconnects forever (maxReconnectAttempts -1), so a 150 s outage differs from this
    // one only in how many reconnect attempts it takes; the health transitions are the same.
    const started = await servers();
    const { storeUrl, s3 } = started;
    let nats = started.nats;
    const controller = await ServiceProcess.start('controller', {
      NOISY_NATS_URL: nats.url,
      NOISY_STORE_URL: storeUrl,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    });
    cleanups.push(() => controller.kill('SIGTERM'));
    await until('the controller to be healthy', () => healthy(controller.port), 30_000);
    await nats.stop(true);
    await until('NOT_SERVING while NATS is down', async () => !(await healthy(controller.port)), 30_000);
    await new Promise((r) => setTimeout(r, 10_000)); // an outage, not a blip
    expect(await healthy(controller.port)).toBe(false);
    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
    cleanups.push(() => nats.stop());
    await until('SERVING once NATS is back', () => healthy(controller.port), 30_000);
    expect(controller.log).toMatch(/"bus disconnected"/);
  }, 150_000);

  it('liveness - a write to a paused S3 server is retried and lands once the server answers', async () => {
    const { s3 } = await servers();
    const open = (maxAttempts: number) =>
      new S3ObjectStore({
        ...parseS3Url(
          `s3://liveness/runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required`,
          s3.credentials,
        ),
        requestTimeoutMs: 1000,
        maxAttempts,
      }).open();
    const store = await open(5);
    const once = await open(1);
    const body = Uint8Array.from({ length: 256 * 1024 }, (_, i) => i % 251);
    s3.pause();
    const started = Date.now();
    const write = store.put('runs/paused/part.bin', body);
    // The control: the same write without retries fails on the stalled server.
    await expect(once.put('runs/paused/control.bin', body)).rejects.toThrow();
    setTimeout(() => s3.resume(), 2500);
    await write;
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(await store.get('runs/paused/part.bin')).toEqual(body);
  }, 60_000);
});
