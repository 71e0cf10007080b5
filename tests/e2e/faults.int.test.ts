// Fault tests of the distributed form: SIGKILL each service kind once mid-run and restart it,
// restart nats-server mid-run; the run completes with the embedded run's metrics and every
// shard's predictions and filter outputs committed exactly once. The killed controller is not
// told to resume: it picks the run up by itself once the dead one's lease expires.
import { afterAll, describe, expect, it } from 'vitest';
import { compileExperiment } from '@noisy/core';
import { progressCodec, runKeys, subjects, type ProgressEvent } from '@noisy/contracts';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore, type ObjectStore } from '@noisy/platform';
import { NatsEventBus } from '@noisy/platform/nats';
import { S3ObjectStore, parseS3Url } from '@noisy/platform/s3';
import { readManifest, runEmbedded, verifyCommit } from '@noisy/pipeline';
import { ServiceProcess, startNatsServer, startS3Server } from '@noisy/testing';
import { connectController, rpc } from '../../tools/cli/src/controller-client.js';

const experiment = {
  name: 'faults',
  seed: 7,
  data: {
    source: { kind: 'synthetic', classes: 3, size: 10, train: 180, test: 45 },
    labeledPerClass: 10,
    unlabeledShards: 4,
  },
  train: { epochs: 80, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false },
  teacher: { model: { name: 'cnn-small', width: 0.5 } },
  students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 1, epochs: 30 } }],
};

async function until(what: string, check: () => Promise<boolean>, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('faults', () => {
  it('faults - every service kind killed once mid-run and nats-server restarted: the run completes, shards counted once', async () => {
    await selectBackend('wasm');
    const reference = await runEmbedded({ store: new MemoryObjectStore(), experiment: compileExperiment(experiment) });

    let nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const s3 = await startS3Server();
    cleanups.push(() => s3.stop());
    const storeUrl = `s3://faults/runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`;
    const env = {
      NOISY_NATS_URL: nats.url,
      NOISY_STORE_URL: storeUrl,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      NOISY_ALLOW_CPU_FOR_GPU_ROLE: 'true',
      NOISY_ACK_WAIT_MS: '3000',
      NOISY_LEASE_MS: '2000',
    };
    const names = ['controller', 'ingestion', 'inference-0', 'inference-1', 'filter', 'trainer', 'evaluator'];
    const procs = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, await ServiceProcess.start(n, env)] as const)),
    );
    cleanups.push(async () => {
      await Promise.all(Object.values(procs).map((p) => p.kill('SIGTERM')));
    });
    const store: ObjectStore = await new S3ObjectStore(
      parseS3Url(storeUrl, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }),
    ).open();
    let client = connectController(`127.0.0.1:${procs.controller.port}`);
    // Progress events say when the teacher is really training (not a sleep and a hope).
    const progress: ProgressEvent[] = [];
    const watcher = await NatsEventBus.connect({ servers: nats.url });
    cleanups.push(() => watcher.close());
    watcher.subscribeEvents(subjects.progress, progressCodec, (_, p) => progress.push(p));

    // Each service is SIGKILLed the moment it starts a task (its log line), so it dies holding
    // that task and redelivery is what brings the run through, not a restart between tasks. The
    // watches are armed before the run starts tasks of their step.
    const killed: Record<string, Promise<string>> = {
      ingestion: procs.ingestion.restartWhileHolding(/:0:ingest-write:/),
      'inference-0': procs['inference-0'].restartWhileHolding(/:1:predict:/),
      filter: procs.filter.restartWhileHolding(/:1:filter-(stats|thresholds|output):/),
    };
    for (const k of Object.values(killed)) k.catch(() => undefined); // awaited (and failed) below
    const { run } = await rpc.startRun(client, { experiment: JSON.stringify(experiment), runId: '' });
    const runId = run!.runId;
    const has = (key: string) => async () => (await store.head(key)) !== null;

    await until('a training step of the teacher', async () =>
      progress.some((p) => p.runId === runId && p.step === 'train' && p.generation === 0 && p.done > 0),
    );
    expect(await store.head(runKeys.modelManifest(runId, 0))).toBeNull(); // really mid-training
    await procs.trainer.restart(); // mid-training (checked above): the task comes back after the ack wait
    killed.evaluator = procs.evaluator.restartWhileHolding(/:1:evaluate:/);
    killed.evaluator.catch(() => undefined);
    await until('the thresholds', has(runKeys.thresholds(runId, 1)));
    await nats.stop(true);
    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
    await procs.controller.restart();
    client = connectController(`127.0.0.1:${procs.controller.port}`);
    // No ResumeRun: the restarted controller finds the run unfinished in the store and drives it.
    await until('the summary', has(runKeys.summary(runId)));
    // Every task a killed service held was done later, by it or by another worker.
    const done = Object.values(procs)
      .map((p) => p.log)
      .join('\n');
    for (const [name, task] of Object.entries(killed)) {
      const t = await task;
      expect(done, `${name}: ${t}`).toMatch(new RegExp(`"msg":"task done".*"taskId":"${t}"`));
    }

    await until('the run finished', async () => (await rpc.getRun(client, runId)).run!.state === 'finished', 30_000);
    const final = (await rpc.getRun(client, runId)).run!;
    expect(final.generations.map((g) => g.top1)).toEqual(reference.generations.map((g) => g.top1));
    const outputs = await Promise.all(
      [0, 1, 2, 3].map((s) => readManifest(store, runKeys.filteredManifest(runId, 1, s, 4))),
    );
    const model = await readManifest(store, runKeys.modelManifest(runId, 1));
    expect(outputs.reduce((a, m) => a + m.parts[0].records, 0)).toBe(model.counts.pseudoLabeled);
    expect(model.counts.pseudoLabeled).toBe(reference.generations[1].pseudoLabeled);
    // One committed prediction part per shard, each under its shard's own prefix and intact (an
    // attempt killed mid-write may leave its own uncommitted part beside it; nothing reads that).
    for (const s of [0, 1, 2, 3]) {
      const key = runKeys.predictionsManifest(runId, 1, s, 4);
      const parts = (await readManifest(store, key)).parts;
      expect(parts, key).toHaveLength(1);
      expect(parts[0].key.startsWith(key.slice(0, key.lastIndexOf('.manifest.json'))), parts[0].key).toBe(true);
      expect(await verifyCommit(store, key), key).toBe(true);
    }
  }, 400_000);
});
