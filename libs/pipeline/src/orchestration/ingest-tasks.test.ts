// Ingest's fan-out over a multi-part TFRecord source in the original's layout: any task order (and
// the one-process path) commits the same dataset; a write task killed mid-shard resumes cleanly on
// retry; a source file changed after counting fails its write task with a DataError naming it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, compileExperiment, sha256Hex, type CompiledExperiment } from '@noisy/core';
import { INGEST_STEPS, datasetKeys } from '@noisy/contracts';
import { bytesFeature, encodeExample, encodeTFRecords, int64Feature } from '@noisy/data';
import { computeStats } from '@noisy/ml';
import { MemoryEventBus, MemoryObjectStore, type ObjectStore } from '@noisy/platform';
import { packInputs, readSamples, type StageContext } from '../records/context.js';
import { type Part } from '../records/manifest.js';
import { RunController } from './controller.js';
import { planIngest } from '../records/plan.js';
import { startWorker } from './worker.js';
import { datasetIdFor, ingest } from '../stages/ingest.js';
import { ingestCount, ingestPlan, ingestSelect, ingestWrite, readPlan } from '../stages/ingest-tasks.js';
import { readManifest } from '../stages/manifests.js';

const TRAIN = [50, 37, 61];
const TEST = 20;
const EXTRA = 15;
const CLASSES = 4;
let dir = '';
let extra = '';
let first = 0;
const labelOf = (i: number) => ((i * i + (i >> 2)) % 7) % CLASSES; // unequal classes

function record(i: number, label: number | null): Uint8Array {
  return encodeExample({
    'image/raw': bytesFeature(Uint8Array.from({ length: 12 }, (_, k) => (i * 31 + k * 7) & 255)),
    'image/height': int64Feature(2),
    'image/width': int64Feature(2),
    'image/channels': int64Feature(3),
    ...(label === null ? {} : { 'image/class/label': int64Feature(label + 1) }),
  });
}

async function shard(file: string, n: number, labeled: boolean, relabel?: number): Promise<void> {
  const recs = Array.from({ length: n }, (_, k) => {
    const i = first + k;
    return record(i, labeled ? (k === relabel ? (labelOf(i) + 1) % CLASSES : labelOf(i)) : null);
  });
  await writeFile(file, encodeTFRecords(recs));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ingest-parts-'));
  extra = await mkdtemp(join(tmpdir(), 'ingest-extra-'));
  for (let s = 0; s < TRAIN.length; s++) {
    await shard(join(dir, `train-0000${s}-of-00003`), TRAIN[s], true);
    first += TRAIN[s];
  }
  await shard(join(dir, 'validation-00000-of-00001'), TEST, true);
  first += TEST;
  await shard(join(extra, 'extra-00000-of-00001'), EXTRA, false);
});
afterAll(() => Promise.all([dir, extra].map((d) => rm(d, { recursive: true, force: true }))));

const experiment = (): CompiledExperiment =>
  compileExperiment({
    seed: 5,
    data: { source: { kind: 'tfrecord', dir, unlabeled: extra }, labeledPerClass: 5, dev: 10, unlabeledShards: 3 },
    students: [{}],
  });
const context = (store: ObjectStore): StageContext => ({
  store,
  progress: () => {},
  shouldStop: () => false,
  allowDownload: false,
});

/** Ingest task by task in the given order of parts (writes run concurrently), or in one call. */
async function ingestInOrder(store: ObjectStore, order: 'forward' | 'reverse' | 'one-call'): Promise<string> {
  const e = experiment();
  const ctx = context(store);
  const id = datasetIdFor(e, sha256Hex);
  if (order === 'one-call') return ingest(ctx, e, id);
  await ingestPlan(ctx, e, id);
  const P = (await readPlan(ctx, id)).data.parts.length;
  const parts = Array.from({ length: P }, (_, p) => (order === 'forward' ? p : P - 1 - p));
  for (const p of parts) await ingestCount(ctx, e, id, p);
  await ingestSelect(ctx, e, id);
  await Promise.all(parts.map((p) => ingestWrite(ctx, e, id, p)));
  return ingest(ctx, e, id);
}

/** The committed dataset without what differs between attempts (attempt ids in keys, wall time). */
async function committed(store: ObjectStore, key: string): Promise<string> {
  const m = await readManifest(store, key, 'dataset');
  return JSON.stringify({ counts: m.counts, data: m.data, parts: m.parts }).replace(/\.attempt-[0-9a-f]{8}/g, '');
}

describe('ingest tasks', () => {
  it('ingest - a 5-part TFRecord source gives one task per part, and the same dataset whatever the task order', async () => {
    const stores = [new MemoryObjectStore(), new MemoryObjectStore(), new MemoryObjectStore()];
    const keys = [
      await ingestInOrder(stores[0], 'forward'),
      await ingestInOrder(stores[1], 'reverse'),
      await ingestInOrder(stores[2], 'one-call'),
    ];
    const a = await committed(stores[0], keys[0]);
    expect(await committed(stores[1], keys[1])).toBe(a);
    expect(await committed(stores[2], keys[2])).toBe(a);
    const id = datasetIdFor(experiment(), sha256Hex);
    expect(planIngest('r', id, 5).map((p) => [p.name, p.tasks.length])).toEqual([
      ['ingest-count', 5],
      ['ingest-select', 1],
      ['ingest-write', 5],
      ['ingest-commit', 1],
    ]);

    const store = stores[0];
    const m = await readManifest(store, keys[0], 'dataset');
    const all = async (parts: Part[]) => (await Promise.all(parts.map((p) => readSamples(store, p, 3)))).flat();
    const labeled = await all(m.data.labeled);
    const unlabeled = await all(m.data.unlabeled);
    const dev = await all(m.data.dev ?? []);
    const test = await all(m.data.test);
    const train = TRAIN.reduce((x, y) => x + y, 0);
    expect(m.counts).toMatchObject({ classes: CLASSES, labeled: 20, dev: 10, test: TEST, sourceParts: 5 });
    expect(unlabeled).toHaveLength(train - 20 - 10 + EXTRA);
    for (let c = 0; c < CLASSES; c++) expect(labeled.filter((s) => s.label === c)).toHaveLength(5);
    expect(unlabeled.every((s) => s.label === undefined)).toBe(true);
    // Every training and extra record lands in exactly one split; test records are the validation file's.
    const ids = [...labeled, ...unlabeled, ...dev].map((s) => s.id);
    expect(new Set(ids).size).toBe(train + EXTRA);
    expect(ids.filter((s) => s.startsWith('extra-'))).toHaveLength(EXTRA);
    expect(test.map((s) => s.id)).toEqual(Array.from({ length: TEST }, (_, i) => `validation-00000-of-00001#${i}`));
    // One unlabeled shard per source part holding unlabeled records (3 train parts and the extra file).
    expect(m.data.unlabeled).toHaveLength(4);
    // The statistics reduced from the write tasks' sums are computeStats over labeled + unlabeled.
    const both = [...labeled, ...unlabeled];
    const expected = computeStats(packInputs(both, m.data, 'check'), Infinity);
    m.data.stats.mean.forEach((v, c) => expect(v).toBeCloseTo(expected.mean[c], 10));
    m.data.stats.std.forEach((v, c) => expect(v).toBeCloseTo(expected.std[c], 10));
  });

  it('ingest - a write task killed mid-shard leaves nothing committed, and its retry commits the same dataset', async () => {
    const clean = new MemoryObjectStore();
    const expected = await committed(clean, await ingestInOrder(clean, 'forward'));
    // The store dies after the first chunk of unlabeled shard 1, as a killed worker would.
    let armed = true;
    class Killing extends MemoryObjectStore {
      override async putStream(key: string, source: AsyncIterable<Uint8Array>): Promise<void> {
        if (!armed || !key.includes('/unlabeled/shard-00001-')) return super.putStream(key, source);
        armed = false;
        return super.putStream(
          key,
          (async function* () {
            for await (const chunk of source) {
              yield chunk;
              throw new Error('worker killed');
            }
          })(),
        );
      }
    }
    const store = new Killing();
    const e = experiment();
    const ctx = context(store);
    const id = datasetIdFor(e, sha256Hex);
    await ingestPlan(ctx, e, id);
    for (let p = 0; p < 5; p++) await ingestCount(ctx, e, id, p);
    await ingestSelect(ctx, e, id);
    await expect(ingestWrite(ctx, e, id, 1)).rejects.toThrow('worker killed');
    expect(await store.head(datasetKeys.ingestWrite(id, 1, 5))).toBeNull();
    expect((await store.list(`${datasetKeys.root(id)}/unlabeled/shard-00001-`)).length).toBe(0);
    await ingestWrite(ctx, e, id, 1); // the retry
    expect(await committed(store, await ingest(ctx, e, id))).toBe(expected);
  });

  it('ingest - a source file changed after it was counted fails its write task with a DataError naming the file', async () => {
    const store = new MemoryObjectStore();
    const e = experiment();
    const ctx = context(store);
    const id = datasetIdFor(e, sha256Hex);
    await ingestPlan(ctx, e, id);
    for (let p = 0; p < 5; p++) await ingestCount(ctx, e, id, p);
    await ingestSelect(ctx, e, id);
    const file = join(dir, 'train-00001-of-00003');
    first = TRAIN[0];
    await shard(file, TRAIN[1], true, 3); // same size, one label changed
    try {
      const err = await ingestWrite(ctx, e, id, 1).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(/train-00001-of-00003: changed since ingest counted it/);
      expect(await store.head(datasetKeys.ingestWrite(id, 1, 5))).toBeNull();
      await expect(ingest(ctx, e, id)).rejects.toThrow(DataError);
      expect(await store.head(datasetKeys.manifest(id))).toBeNull();
    } finally {
      await shard(file, TRAIN[1], true); // as it was, for the other tests
    }
  });

  it('ingest - the controller fans the parts out over three workers, each task once, to the same dataset', async () => {
    const single = new MemoryObjectStore();
    const expected = await committed(single, await ingestInOrder(single, 'one-call'));
    const store = new MemoryObjectStore();
    const bus = new MemoryEventBus();
    const done: string[] = [];
    const workers = [0, 1, 2].map(() =>
      startWorker(
        { store, bus },
        { steps: INGEST_STEPS, onTask: (t, outcome) => outcome === 'done' && done.push(`${t.step}:${t.shard}`) },
      ),
    );
    const abort = new AbortController();
    try {
      const controller = new RunController(
        { store, bus },
        {
          pollMs: 20,
          signal: abort.signal,
          onRunEvent: (ev) => ev.state === 'step-finished' && ev.step === 'ingest-commit' && abort.abort(),
        },
      );
      const record = await controller.create(experiment());
      await controller.drive(record.runId).catch(() => undefined); // cancelled once ingest has committed
      expect(await committed(store, datasetKeys.manifest(record.datasetId))).toBe(expected);
      const per = (step: string) => done.filter((d) => d.startsWith(`${step}:`)).sort();
      expect(per('ingest-count')).toEqual([0, 1, 2, 3, 4].map((p) => `ingest-count:${p}`));
      expect(per('ingest-write')).toEqual([0, 1, 2, 3, 4].map((p) => `ingest-write:${p}`));
      expect([...per('ingest'), ...per('ingest-select'), ...per('ingest-commit')]).toHaveLength(3);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await bus.close();
    }
  });

  it('ingest-count - progress has a real total: bytes of a TFRecord file out of its size, records of a split in memory', async () => {
    const events: Array<{ unit: string; done: number; total: number }> = [];
    const withProgress = (store: ObjectStore): StageContext => ({ ...context(store), progress: (p) => events.push(p) });
    const e = experiment();
    const id = datasetIdFor(e, sha256Hex);
    const store = new MemoryObjectStore();
    await ingestPlan(withProgress(store), e, id);
    await ingestCount(withProgress(store), e, id, 1);
    const size = (await readManifest(store, datasetKeys.ingestCount(id, 1, 5), 'ingest-count')).data.file!.bytes;
    expect(events).toEqual([{ unit: 'bytes', done: size, total: size }]);

    events.length = 0;
    const mem = compileExperiment({
      seed: 5,
      data: { source: { kind: 'synthetic', classes: 3, size: 4, train: 6000, test: 10 }, labeledPerClass: 5 },
      students: [{}],
    });
    const memId = datasetIdFor(mem, sha256Hex);
    await ingestPlan(withProgress(store), mem, memId);
    await ingestCount(withProgress(store), mem, memId, 0); // the train split
    expect(events).toEqual([
      { unit: 'examples', done: 5000, total: 6000 },
      { unit: 'examples', done: 6000, total: 6000 },
    ]);
  });
});
