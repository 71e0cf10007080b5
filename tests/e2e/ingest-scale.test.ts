// Ingest at scale: a generated TFRecord set in the original's layout with 210,000 labeled records
// (1x1 pictures, so the test measures the data path, not decoding) and `labeledPerClass: all`,
// through ingest's fan-out (plan, count per file, select, write per file, commit), each task run as
// a worker runs it. No argument spreads or per-record objects: no stack overflow; memory bounded
// (asserted on the peak heap and RSS growth); the rate is printed as records/s per worker (records
// over the tasks' summed time) and per task kind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileExperiment, sha256Hex } from '@noisy/core';
import { bytesFeature, encodeExample, encodeTFRecords, int64Feature } from '@noisy/data';
import { MemoryObjectStore } from '@noisy/platform';
import { datasetKeys } from '@noisy/contracts';
import {
  datasetIdFor,
  ingest,
  ingestCount,
  ingestPlan,
  ingestSelect,
  ingestWrite,
  readManifest,
  type StageContext,
} from '@noisy/pipeline';

const CLASSES = 1000;
const TRAIN_SHARDS = 6;
const PER_SHARD = 35_000; // 210,000 labeled records
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function record(i: number, label: number): Uint8Array {
  return encodeExample({
    'image/raw': bytesFeature(Uint8Array.of(i & 255, (i >> 8) & 255, label & 255)),
    'image/height': int64Feature(1),
    'image/width': int64Feature(1),
    'image/channels': int64Feature(3),
    'image/class/label': int64Feature(label + 1), // 1-based, as the original
  });
}

async function writeShard(file: string, first: number, n: number): Promise<void> {
  const recs: Uint8Array[] = [];
  // Unequal classes: class k holds about (1 + k / CLASSES) of the average.
  for (let i = first; i < first + n; i++) recs.push(record(i, Math.floor(Math.sqrt((i * 7919) % (CLASSES * CLASSES)))));
  await writeFile(file, encodeTFRecords(recs));
}

describe('ingest at scale', () => {
  it('ingest - 210,000 labeled records with labeledPerClass: all, bounded memory, no stack overflow', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-scale-'));
    dirs.push(dir);
    for (let s = 0; s < TRAIN_SHARDS; s++)
      await writeShard(
        join(dir, `train-${String(s).padStart(5, '0')}-of-${String(TRAIN_SHARDS).padStart(5, '0')}`),
        s * PER_SHARD,
        PER_SHARD,
      );
    await writeShard(join(dir, 'validation-00000-of-00001'), 0, 2000);
    const e = compileExperiment({
      seed: 0,
      data: { source: { kind: 'tfrecord', dir }, labeledPerClass: 'all', unlabeledShards: 1 },
      students: [{}],
    });
    const store = new MemoryObjectStore();
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    global.gc?.();
    const base = process.memoryUsage();
    let peak = base.rss;
    let peakHeap = base.heapUsed;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }, 20);
    const id = datasetIdFor(e, sha256Hex);
    const seconds: Record<string, number> = {};
    const task = async (kind: string, run: () => Promise<string>) => {
      const t = performance.now();
      await run();
      seconds[kind] = (seconds[kind] ?? 0) + (performance.now() - t) / 1000;
    };
    let key = '';
    try {
      await task('plan', () => ingestPlan(ctx, e, id));
      const P = (await readManifest(store, datasetKeys.ingestPlan(id), 'ingest-plan')).data.parts.length;
      for (let p = 0; p < P; p++) await task('count', () => ingestCount(ctx, e, id, p));
      await task('select', () => ingestSelect(ctx, e, id));
      for (let p = 0; p < P; p++) await task('write', () => ingestWrite(ctx, e, id, p));
      await task('commit', async () => (key = await ingest(ctx, e, id)));
    } finally {
      clearInterval(sampler);
    }
    const total = Object.values(seconds).reduce((a, b) => a + b, 0);
    const m = await readManifest(store, key, 'dataset');
    const records = TRAIN_SHARDS * PER_SHARD + 2000;
    const rate = (s: number) => Math.round(records / s);
    console.log(
      `ingest-scale: ${records} records in ${total.toFixed(1)} s of task time = ${rate(total)} records/s per worker ` +
        `(count ${rate(seconds.count)}/s, write ${rate(seconds.write)}/s, commit ${rate(seconds.commit)}/s; ` +
        `plan ${seconds.plan.toFixed(2)} s, select ${seconds.select.toFixed(2)} s); RSS ${Math.round(base.rss / 2 ** 20)} -> peak ${Math.round(peak / 2 ** 20)} MiB, ` +
        `heap ${Math.round(base.heapUsed / 2 ** 20)} -> peak ${Math.round(peakHeap / 2 ** 20)} MiB`,
    );
    expect(m.counts.sourceParts).toBe(TRAIN_SHARDS + 1); // one task per file in each per-part phase
    expect(m.counts).toMatchObject({ labeled: TRAIN_SHARDS * PER_SHARD, unlabeled: 0, test: 2000, classes: CLASSES });
    expect(m.data.labeled.reduce((a, p) => a + p.records, 0)).toBe(TRAIN_SHARDS * PER_SHARD);
    expect(m.data.labeled).toHaveLength(TRAIN_SHARDS); // one part per write task, none joined
    // The JS heap is where dataset-sized arrays of records would show; RSS also holds the memory
    // store's shards and whatever the allocator keeps after GC (measured +53 to +225 MiB), so its
    // bound is only a backstop.
    expect(peakHeap - base.heapUsed).toBeLessThan(200 * 2 ** 20);
    expect(peak - base.rss).toBeLessThan(400 * 2 ** 20);
  }, 600_000);
});
