// Traces across processes: the distributed run exports to an OTLP/HTTP receiver started here;
// one trace per generation holds the phase spans (the filter barrier among them) and the workers'
// task spans, correctly parented, with predictions from two inference processes.
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { runKeys } from '@noisy/contracts';
import { S3ObjectStore, parseS3Url } from '@noisy/platform';
import { ServiceProcess, freePort, startNatsServer, startS3Server } from '@noisy/testing';
import { connectController, rpc } from './controller-client.js';

interface SpanRow { traceId: string; spanId: string; parentSpanId: string; name: string; service: string }

const experiment = {
  name: 'traces', seed: 9,
  data: { source: { kind: 'synthetic', classes: 3, size: 10, train: 150, test: 30 }, labeledPerClass: 10, unlabeledShards: 4 },
  train: { epochs: 10, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false },
  teacher: { model: { name: 'cnn-small', width: 0.5 } },
  students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 1 } }],
};

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); });

describe('traces', () => {
  it('traces - one trace per generation with predict spans from two workers, the barrier, training and evaluation', async () => {
    const spans: SpanRow[] = [];
    const port = await freePort();
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const data = JSON.parse(body);
        for (const rs of data.resourceSpans ?? []) {
          const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.instance.id')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, service });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => receiver.close(() => r())));

    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const s3 = await startS3Server();
    cleanups.push(() => s3.stop());
    const storeUrl = `s3://traces/runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`;
    const env = {
      NOISY_NATS_URL: nats.url, NOISY_STORE_URL: storeUrl, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', NOISY_ALLOW_CPU_FOR_GPU_ROLE: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const names = ['controller', 'ingestion', 'inference-0', 'inference-1', 'filter', 'trainer', 'evaluator'];
    const procs = await Promise.all(names.map((n) => ServiceProcess.start(n, env)));
    cleanups.push(async () => { await Promise.all(procs.map((p) => p.kill('SIGKILL'))); });
    const client = connectController(`127.0.0.1:${procs[0].port}`);
    const { run } = await rpc.startRun(client, { experiment: JSON.stringify(experiment), runId: '' });
    const store = await new S3ObjectStore(parseS3Url(storeUrl, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' })).open();
    for (let i = 0; !(await store.head(runKeys.summary(run!.runId))); i++) {
      if (i > 600) throw new Error('run did not finish');
      await new Promise((r) => setTimeout(r, 200));
    }
    await Promise.all(procs.map((p) => p.kill('SIGTERM'))); // graceful: flushes spans

    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const roots = spans.filter((s) => /^generation \d$/.test(s.name));
    expect(roots.map((s) => s.name).sort()).toEqual(['generation 0', 'generation 1']);
    for (const r of roots) expect(r.parentSpanId).toBe('');
    expect(new Set(roots.map((r) => r.traceId)).size).toBe(2);
    const g1 = roots.find((r) => r.name === 'generation 1')!;
    const inTrace = spans.filter((s) => s.traceId === g1.traceId);
    const phase = (name: string) => {
      const p = inTrace.find((s) => s.name === name && s.parentSpanId === g1.spanId);
      expect(p, `${name} phase span under generation 1`).toBeDefined();
      expect(p!.service.startsWith('noisy-controller')).toBe(true);
      return p!;
    };
    const predict = phase('predict');
    const shards = inTrace.filter((s) => /^predict shard \d$/.test(s.name));
    expect(shards.map((s) => s.name).sort()).toEqual(['predict shard 0', 'predict shard 1', 'predict shard 2', 'predict shard 3']);
    for (const s of shards) expect(s.parentSpanId).toBe(predict.spanId);
    expect(new Set(shards.map((s) => s.service)).size).toBe(2); // two inference processes
    const barrier = phase('filter-thresholds');
    expect(inTrace.some((s) => s.name === 'filter-thresholds' && s.parentSpanId === barrier.spanId && s.service.startsWith('noisy-filter'))).toBe(true);
    for (const name of ['train', 'evaluate']) {
      const p = phase(name);
      const task = inTrace.find((s) => s.name === name && s.parentSpanId === p.spanId);
      expect(task, `${name} task span`).toBeDefined();
      expect(task!.service.startsWith(name === 'train' ? 'noisy-trainer' : 'noisy-evaluator')).toBe(true);
      expect(byId.get(task!.parentSpanId)).toBe(p);
    }
  }, 300_000);
});
