// Read in place from the object store: the original's TFRecord shards uploaded to the run's own
// store (`data.source.dir: store:<prefix>`) are listed, counted and read through the store port,
// never copied; training's record reads are ranged reads of those objects. An object changed
// afterwards fails the next read with a DataError naming its store path; the project's own
// namespaces cannot be named as a source, and a command without a store says so.
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, compileExperiment, sha256Hex, type CompiledExperiment } from '@noisy/core';
import { openSourceParts } from '@noisy/data';
import { indexKeys } from '@noisy/contracts';
import { MemoryObjectStore } from '@noisy/platform';
import { readSamples, type StageContext } from '../records/context.js';
import { RecordTable } from '../records/record-table.js';
import { picture, pictureFile } from './in-place-fixture.js';
import { datasetIdFor, ingest } from './ingest.js';
import { readManifest, verifyCommit } from './manifests.js';

const file = pictureFile;

async function uploaded(): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  await store.put('raw/imagenet/train-00000-of-00002', file(9, 0, true));
  await store.put('raw/imagenet/train-00001-of-00002', file(9, 9, true));
  await store.put('raw/imagenet/validation-00000-of-00001', file(6, 100, true));
  await store.put('raw/imagenet/sub/train-99999-of-99999', file(2, 300, true)); // not listed: a sub-prefix
  await store.put('raw/extra/extra-00000-of-00001', file(7, 200, false));
  return store;
}

const experiment = (dir = 'store:raw/imagenet'): CompiledExperiment =>
  compileExperiment({
    seed: 2,
    data: {
      source: { kind: 'tfrecord', dir, unlabeled: 'store:raw/extra', readInPlace: true },
      labeledPerClass: 'all',
      unlabeledShards: 4,
    },
    students: [{}],
  });

describe('ingest in place from the store', () => {
  it('ingest - store: sources are read in place: parts name the objects, nothing is copied, training reads records by range', async () => {
    const store = await uploaded();
    const e = experiment();
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const key = await ingest(ctx, e, datasetIdFor(e, sha256Hex));
    const m = await readManifest(store, key, 'dataset');
    const train = [0, 1].map((k) => `store:raw/imagenet/train-0000${k}-of-00002`);
    expect(m.data.labeled).toMatchObject(train.map((f) => ({ key: f, file: f, records: 9 })));
    expect(m.data.test).toMatchObject([{ file: 'store:raw/imagenet/validation-00000-of-00001', records: 6 }]);
    expect(m.data.unlabeled).toMatchObject([{ file: 'store:raw/extra/extra-00000-of-00001', records: 7 }]);
    expect(m.counts).toMatchObject({ labeled: 18, unlabeled: 7, test: 6 });
    // No shard of the dataset was written: only manifests and ingest's bookkeeping.
    expect((await store.list('datasets/')).filter((k) => k.endsWith('.tfrecord'))).toEqual([]);
    expect(await verifyCommit(store, key)).toBe(true);
    // ingest-count stored each file's record index while it read it: training need not read them first.
    for (const p of m.data.labeled) expect(await store.head(indexKeys.labeled(p.sha256))).not.toBeNull();
    for (const p of [...m.data.test, ...m.data.unlabeled])
      expect(await store.head(indexKeys.part(p.sha256))).not.toBeNull();

    const table = await RecordTable.build(store, m.data.labeled, { labels: true, classes: 3 });
    expect([...table.labels!]).toEqual(Array.from({ length: 18 }, (_, i) => i % 3));
    const { pictures } = await table.read(Int32Array.of(10));
    expect(pictures[0].where).toEqual({ shard: train[1], record: 1 });
    expect(Buffer.compare(Buffer.from(pictures[0].bytes), Buffer.from(picture(10)))).toBe(0);

    // The object changes under the dataset: the next streamed read and the next record read fail, naming it.
    const bytes = Uint8Array.from(await store.get('raw/imagenet/train-00001-of-00002'));
    bytes[bytes.length - 30] ^= 0xff;
    await store.put('raw/imagenet/train-00001-of-00002', bytes);
    const err = await readSamples(store, m.data.labeled[1], 3, true).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/^store:raw\/imagenet\/train-00001-of-00002: changed since ingest read it/);
    await expect(table.read(Int32Array.of(17))).rejects.toThrow(/store:raw\/imagenet\/train-00001-of-00002.*CRC/);
  });

  it('ingest - copied shards of encoded pictures get their record index as they are written, the same a scan gives', async () => {
    const store = await uploaded();
    const e = compileExperiment({
      seed: 2,
      data: { source: { kind: 'tfrecord', dir: 'store:raw/imagenet' }, labeledPerClass: 2, unlabeledShards: 2 },
      students: [{}],
    });
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const m = await readManifest(store, await ingest(ctx, e, datasetIdFor(e, sha256Hex)), 'dataset');
    expect(m.data.labeled.every((p) => !p.file)).toBe(true); // copies
    for (const p of m.data.labeled) expect(await store.head(indexKeys.labeled(p.sha256))).not.toBeNull();
    const fromIngest = await RecordTable.build(store, m.data.labeled, { labels: true, classes: 3 });
    for (const p of m.data.labeled) await store.delete(indexKeys.labeled(p.sha256));
    const scanned = await RecordTable.build(store, m.data.labeled, { labels: true, classes: 3 });
    expect([...fromIngest.labels!]).toEqual([...scanned.labels!]);
    const all = Int32Array.from({ length: scanned.count }, (_, i) => i);
    expect((await fromIngest.read(all)).pictures).toEqual((await scanned.read(all)).pictures);
    for (const p of m.data.unlabeled) expect(await store.head(indexKeys.part(p.sha256))).not.toBeNull();
  });

  it("ingest - a store: source naming the project's own data, or opened without a store, is a ConfigError", async () => {
    const store = await uploaded();
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const own = experiment('store:runs/someone-else');
    await expect(ingest(ctx, own, datasetIdFor(own, sha256Hex))).rejects.toThrow(/project's own runs/);
    const e = experiment();
    const err = await openSourceParts(e.data.source, { seed: 1, allowDownload: false }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/store:raw\/imagenet.*pass --store/);
  });
});
