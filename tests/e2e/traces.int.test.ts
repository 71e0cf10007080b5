// Traces across processes: the distributed run exports to an OTLP/HTTP receiver started here;
// one trace per generation holds the phase spans (the filter barrier among them) and the workers'
// task spans, correctly parented, with predictions from the inference processes that took them.
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { runKeys } from '@noisy/contracts';
import { S3ObjectStore, parseS3Url } from '@noisy/platform/s3';
import { ServiceProcess, freePort, startNatsServer, startS3Server } from '@noisy/testing';
import { connectController, rpc } from '../../tools/cli/src/controller-client.js';

interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
}
interface Point {
  metric: string;
  service: string;
  value: number;
  attributes: Record<string, string | number>;
}

/** Data points of an OTLP/JSON metrics export (gauges and sums). */
function pointsOf(data: { resourceMetrics?: unknown[] }): Point[] {
  const out: Point[] = [];
  type Attr = { key: string; value: { stringValue?: string; intValue?: string | number; doubleValue?: number } };
  type DataPoint = { asDouble?: number; asInt?: string | number; attributes?: Attr[] };
  type Metric = { name: string; gauge?: { dataPoints: DataPoint[] }; sum?: { dataPoints: DataPoint[] } };
  for (const rm of (data.resourceMetrics ?? []) as Array<{
    resource: { attributes: Attr[] };
    scopeMetrics: Array<{ metrics: Metric[] }>;
  }>) {
    const service = rm.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const sm of rm.scopeMetrics ?? [])
      for (const m of sm.metrics ?? []) {
        for (const p of (m.gauge ?? m.sum)?.dataPoints ?? []) {
          const attributes = Object.fromEntries(
            (p.attributes ?? []).map((a) => [
              a.key,
              a.value.stringValue ?? Number(a.value.intValue ?? a.value.doubleValue),
            ]),
          );
          out.push({ metric: m.name, service, value: Number(p.asDouble ?? p.asInt), attributes });
        }
      }
  }
  return out;
}

const experiment = {
  name: 'traces',
  seed: 9,
  data: {
    source: { kind: 'synthetic', classes: 3, size: 10, train: 150, test: 30 },
    labeledPerClass: 10,
    unlabeledShards: 4,
  },
  train: { epochs: 10, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false },
  teacher: { model: { name: 'cnn-small', width: 0.5 } },
  students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 1 } }],
};

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('traces', () => {
  it('traces - one trace per generation with predict spans from the workers, the barrier, training and evaluation', async () => {
    const spans: SpanRow[] = [];
    const points: Point[] = [];
    const port = await freePort();
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const data = JSON.parse(body);
        points.push(...pointsOf(data));
        for (const rs of data.resourceSpans ?? []) {
          const service =
            rs.resource.attributes.find((a: { key: string }) => a.key === 'service.instance.id')?.value.stringValue ??
            '';
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                name: s.name,
                service,
              });
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
      NOISY_NATS_URL: nats.url,
      NOISY_STORE_URL: storeUrl,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      NOISY_ALLOW_CPU_FOR_GPU_ROLE: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
    };
    const names = ['controller', 'ingestion', 'inference-0', 'inference-1', 'filter', 'trainer', 'evaluator'];
    const procs = await Promise.all(names.map((n) => ServiceProcess.start(n, env)));
    cleanups.push(async () => {
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    });
    const client = connectController(`127.0.0.1:${procs[0].port}`);
    const { run } = await rpc.startRun(client, { experiment: JSON.stringify(experiment), runId: '' });
    const store = await new S3ObjectStore(
      parseS3Url(storeUrl, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }),
    ).open();
    for (let i = 0; !(await store.head(runKeys.summary(run!.runId))); i++) {
      if (i > 600) throw new Error('run did not finish');
      await new Promise((r) => setTimeout(r, 200));
    }
    await Promise.all(procs.map((p) => p.kill('SIGTERM'))); // graceful: flushes spans and metrics

    // Metrics: throughput and loss from training, throughput from prediction, accuracy per generation, queue lag.
    const of = (metric: string, service: string) =>
      points.filter(
        (p) => p.metric === metric && p.service === `noisy-${service}` && p.attributes['noisy.run_id'] === run!.runId,
      );
    expect(of('noisy.throughput', 'trainer').some((p) => p.value > 0)).toBe(true);
    expect(
      of('noisy.throughput', 'inference').some((p) => p.attributes['noisy.step'] === 'predict' && p.value > 0),
    ).toBe(true);
    expect(of('noisy.train.loss', 'trainer').every((p) => p.value > 0 && Number.isFinite(p.value))).toBe(true);
    expect(of('noisy.train.loss', 'trainer').length).toBeGreaterThan(0);
    const summary = JSON.parse(new TextDecoder().decode(await store.get(runKeys.summary(run!.runId)))) as {
      generations: Array<{ generation: number; top1: number }>;
    };
    for (const g of summary.generations) {
      const top1 = of('noisy.eval.top1', 'evaluator').filter((p) => p.attributes['noisy.generation'] === g.generation);
      expect(top1.at(-1)?.value, `top-1 of generation ${g.generation}`).toBeCloseTo(g.top1, 6);
    }
    expect(
      points.some((p) => p.metric === 'noisy.jetstream.pending' && p.attributes['noisy.consumer'] === 'noisy-predict'),
    ).toBe(true);
    expect(points.some((p) => p.metric === 'noisy.tasks' && p.attributes['noisy.outcome'] === 'done')).toBe(true);

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
    expect(shards.map((s) => s.name).sort()).toEqual([
      'predict shard 0',
      'predict shard 1',
      'predict shard 2',
      'predict shard 3',
    ]);
    for (const s of shards) expect(s.parentSpanId).toBe(predict.spanId);
    // The spans come from the inference processes that did the work: each one that logged a
    // predict task done (one or both, as the queue handed them out) has its own service instance.
    const predicted = procs.slice(2, 4).filter((p) => /"msg":"task done".*"step":"predict"/.test(p.log));
    expect(predicted.length).toBeGreaterThan(0);
    expect(new Set(shards.map((s) => s.service)).size).toBe(predicted.length);
    for (const s of shards) expect(s.service.startsWith('noisy-inference')).toBe(true);
    const barrier = phase('filter-thresholds');
    expect(
      inTrace.some(
        (s) =>
          s.name === 'filter-thresholds' && s.parentSpanId === barrier.spanId && s.service.startsWith('noisy-filter'),
      ),
    ).toBe(true);
    for (const name of ['train', 'evaluate']) {
      const p = phase(name);
      const task = inTrace.find((s) => s.name === name && s.parentSpanId === p.spanId);
      expect(task, `${name} task span`).toBeDefined();
      expect(task!.service.startsWith(name === 'train' ? 'noisy-trainer' : 'noisy-evaluator')).toBe(true);
      expect(byId.get(task!.parentSpanId)).toBe(p);
    }
  }, 300_000);
});
