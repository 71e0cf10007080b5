// The same run over real NATS JetStream and a real S3 server, with the controller and several
// workers (two of them serving only prediction) talking only through those adapters, gives the
// same per-generation metrics as the embedded run with the same seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunFailedError, sha256Hex } from '@noisy/core';
import { INGEST_STEPS, datasetKeys, makeTask, subjects, taskCodec, taskDoneCodec } from '@noisy/contracts';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore, putJson } from '@noisy/platform';
import { NatsEventBus } from '@noisy/platform/nats';
import { S3ObjectStore, parseS3Url } from '@noisy/platform/s3';
import { startNatsServer, startS3Server, tinyExperiment, type RunningServer } from '@noisy/testing';
import { RunController } from '../../libs/pipeline/src/orchestration/controller.js';
import { runEmbedded } from '../../libs/pipeline/src/orchestration/embedded.js';
import { startWorker } from '../../libs/pipeline/src/orchestration/worker.js';
import { readManifest } from '../../libs/pipeline/src/stages/manifests.js';

let nats: RunningServer;
let s3: Awaited<ReturnType<typeof startS3Server>>;
beforeAll(async () => {
  await selectBackend('wasm');
  [nats, s3] = await Promise.all([startNatsServer(), startS3Server()]);
});
afterAll(async () => {
  await Promise.all([nats?.stop(), s3?.stop()]);
});

describe('distributed run', () => {
  it('distributed run - NATS + S3 with separate workers matches the embedded run', async () => {
    const experiment = tinyExperiment({
      students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 2, epochs: 6 } }],
    });
    const embedded = await runEmbedded({ store: new MemoryObjectStore(), experiment });

    const store = await new S3ObjectStore(
      parseS3Url(
        `s3://runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`,
        s3.credentials,
      ),
    ).open();
    const buses = await Promise.all(
      [0, 1, 2, 3].map(() => NatsEventBus.connect({ servers: nats.url, ackWaitMs: 30_000 })),
    );
    const workers = [
      startWorker({ store, bus: buses[1] }, { steps: ['predict'] }),
      startWorker({ store, bus: buses[2] }, { steps: ['predict'] }),
      startWorker(
        { store, bus: buses[3] },
        { steps: [...INGEST_STEPS, 'train', 'filter-stats', 'filter-thresholds', 'filter-output', 'evaluate'] },
      ),
    ];
    try {
      const controller = new RunController({ store, bus: buses[0] }, { pollMs: 500 });
      const record = await controller.create(experiment);
      const summary = await controller.drive(record.runId);
      expect(summary.generations.map((g) => g.top1)).toEqual(embedded.generations.map((g) => g.top1));
      expect(summary.generations.map((g) => g.pseudoLabeled)).toEqual(embedded.generations.map((g) => g.pseudoLabeled));
      expect(
        (await store.list(`runs/${record.runId}/gen-1/predictions/`)).filter((k) => k.endsWith('.manifest.json')),
      ).toHaveLength(3);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(buses.map((b) => b.close()));
    }
  });
});

describe('poison and duplicates', () => {
  it('distributed run - a corrupt shard fails its run once, naming the shard, instead of looping', async () => {
    const experiment = tinyExperiment({ name: 'poison' });
    const store = new MemoryObjectStore();
    const [bus, cbus] = await Promise.all([
      NatsEventBus.connect({ servers: nats.url }),
      NatsEventBus.connect({ servers: nats.url }),
    ]);
    const outcomes: string[] = [];
    const worker = startWorker(
      { store, bus },
      { onTask: (t, outcome) => outcomes.push(`${t.step}:${t.shard}:${outcome}`) },
    );
    try {
      const controller = new RunController({ store, bus: cbus }, { pollMs: 300 });
      const record = await controller.create(experiment);
      // Ingest, then flip one byte of unlabeled shard 1 and commit that as its content: a shard bad at
      // its source (a damaged commit would instead be redone, see resume.test.ts).
      // (ingest-commit alone runs every ingest task in one process.)
      await cbus.publishTask(
        subjects.task('ingest-commit'),
        taskCodec,
        makeTask(record.runId, 'ingest-commit', 0),
        `${record.runId}:ingest-first`,
      );
      const dsKey = datasetKeys.manifest(record.datasetId);
      while (!(await store.head(dsKey))) await new Promise((r) => setTimeout(r, 100));
      const manifest = await readManifest(store, dsKey, 'dataset');
      const shard = manifest.data.unlabeled[1];
      const bytes = Uint8Array.from(await store.get(shard.key));
      bytes[40] ^= 0xff;
      await store.put(shard.key, bytes);
      const bad = { ...shard, sha256: sha256Hex(bytes) };
      manifest.data.unlabeled[1] = bad;
      manifest.parts = manifest.parts.map((p) => (p.key === shard.key ? bad : p));
      await putJson(store, dsKey, manifest);
      const err = await controller.drive(record.runId).catch((e: Error) => e);
      expect(err).toBeInstanceOf(RunFailedError);
      expect(String(err)).toMatch(/unlabeled\/shard-00001-of-00003\.attempt-[0-9a-f]{8}\.tfrecord/);
      expect(outcomes.filter((o) => o === 'predict:1:failed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.startsWith('predict:1:'))).toHaveLength(1);
    } finally {
      await worker.stop();
      await Promise.all([bus.close(), cbus.close()]);
    }
  });

  it('distributed run - a duplicate task delivery writes nothing twice', async () => {
    const experiment = tinyExperiment({
      name: 'dupes',
      students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 1, epochs: 2 } }],
    });
    const inner = new MemoryObjectStore();
    const puts: string[] = [];
    const store = Object.assign(Object.create(inner), {
      put: async (k: string, b: Uint8Array | string) => {
        puts.push(k);
        return inner.put(k, b);
      },
    }) as MemoryObjectStore;
    const bus = await NatsEventBus.connect({ servers: nats.url });
    const worker = startWorker({ store, bus });
    try {
      const controller = new RunController({ store, bus }, { pollMs: 300 });
      const record = await controller.create(experiment);
      await controller.drive(record.runId);
      const before = puts.length;
      const done: string[] = [];
      const sub = bus.subscribeEvents(subjects.taskDone, taskDoneCodec, (_, d) => done.push(d.taskId));
      const again = makeTask(record.runId, 'predict', 1, 0);
      await bus.publishTask(subjects.task('predict'), taskCodec, again, `${again.taskId}:redelivered`); // a new message id defeats dedup
      await bus.publishTask(
        subjects.task('train'),
        taskCodec,
        makeTask(record.runId, 'train', 1),
        `${record.runId}:train-again`,
      );
      while (done.length < 2) await new Promise((r) => setTimeout(r, 100));
      await sub.stop();
      expect(puts.slice(before)).toEqual([]);
    } finally {
      await worker.stop();
      await bus.close();
    }
  });
});
