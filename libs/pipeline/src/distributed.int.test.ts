// The same run over real NATS JetStream and a real S3 server, with the controller and several
// workers (two of them serving only prediction) talking only through those adapters, gives the
// same per-generation metrics as the embedded run with the same seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore, NatsEventBus, S3ObjectStore, parseS3Url } from '@noisy/platform';
import { startNatsServer, startS3Server, tinyExperiment, type RunningServer } from '@noisy/testing';
import { RunController } from './controller.js';
import { runEmbedded } from './embedded.js';
import { startWorker } from './worker.js';

let nats: RunningServer;
let s3: Awaited<ReturnType<typeof startS3Server>>;
beforeAll(async () => {
  await selectBackend('wasm');
  [nats, s3] = await Promise.all([startNatsServer(), startS3Server()]);
});
afterAll(async () => { await Promise.all([nats?.stop(), s3?.stop()]); });

describe('distributed run', () => {
  it('distributed run - NATS + S3 with separate workers matches the embedded run', async () => {
    const experiment = tinyExperiment({ students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 2, epochs: 6 } }] });
    const embedded = await runEmbedded({ store: new MemoryObjectStore(), experiment });

    const store = await new S3ObjectStore(parseS3Url(`s3://runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`, s3.credentials)).open();
    const buses = await Promise.all([0, 1, 2, 3].map(() => NatsEventBus.connect({ servers: nats.url, ackWaitMs: 30_000 })));
    const workers = [
      startWorker({ store, bus: buses[1] }, { steps: ['predict'] }),
      startWorker({ store, bus: buses[2] }, { steps: ['predict'] }),
      startWorker({ store, bus: buses[3] }, { steps: ['ingest', 'train', 'filter-stats', 'filter-thresholds', 'filter-output', 'evaluate'] }),
    ];
    try {
      const controller = new RunController({ store, bus: buses[0] }, { pollMs: 500 });
      const record = await controller.create(experiment);
      const summary = await controller.drive(record.runId);
      expect(summary.generations.map((g) => g.top1)).toEqual(embedded.generations.map((g) => g.top1));
      expect(summary.generations.map((g) => g.pseudoLabeled)).toEqual(embedded.generations.map((g) => g.pseudoLabeled));
      expect((await store.list(`runs/${record.runId}/gen-1/predictions/`)).filter((k) => k.endsWith('.manifest.json'))).toHaveLength(3);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(buses.map((b) => b.close()));
    }
  });
});
