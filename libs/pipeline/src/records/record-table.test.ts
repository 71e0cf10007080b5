// The record table training reads encoded pictures through: built by one verified pass over the
// parts (store objects and source files read in place), then record by record with ranged reads.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactError, DataError } from '@noisy/core';
import { bytesFeature, encodeExample, encodeTFRecords, floatFeature, int64Feature } from '@noisy/data';
import { MemoryObjectStore } from '@noisy/platform';
import type { Part } from './manifest.js';
import { decodeIndex, encodeIndex } from './record-index.js';
import { RecordTable } from './record-table.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A record with a picture of `size` distinct bytes, a 1-based label and optionally a distribution over 3 classes. */
const record = (n: number, size: number, label?: number, probs?: number[]) =>
  encodeExample({
    'image/encoded': bytesFeature(Uint8Array.from({ length: size }, (_, i) => (n * 13 + i) % 256)),
    ...(label !== undefined ? { 'image/class/label': int64Feature(label) } : {}),
    ...(probs ? { probabilities: floatFeature(probs) } : {}),
  });

async function putPart(store: MemoryObjectStore, key: string, records: Uint8Array[]): Promise<Part> {
  const bytes = encodeTFRecords(records);
  await store.put(key, bytes);
  return {
    key,
    bytes: bytes.length,
    records: records.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

describe('record table', () => {
  it('RecordTable - indexes parts of uneven records and reads any record back with its label and origin', async () => {
    const store = new MemoryObjectStore();
    const sizes = [5, 300, 70_000, 1, 4_000, 9];
    const a = await putPart(
      store,
      'd/labeled-0',
      [0, 1, 2].map((n) => record(n, sizes[n], (n % 3) + 1)),
    );
    const b = await putPart(
      store,
      'd/labeled-1',
      [3, 4, 5].map((n) => record(n, sizes[n], (n % 3) + 1)),
    );
    const progress: number[] = [];
    const table = await RecordTable.build(store, [a, b], {
      labels: true,
      classes: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(table.count).toBe(6);
    expect([...table.labels!]).toEqual([0, 1, 2, 0, 1, 2]);
    expect(progress.at(-1)).toBe(a.bytes + b.bytes);
    const { pictures, probabilities } = await table.read(Int32Array.of(4, 0, 2, 5));
    expect(probabilities).toBeUndefined();
    expect(pictures.map((p) => p.where)).toEqual([
      { shard: 'd/labeled-1', record: 1 },
      { shard: 'd/labeled-0', record: 0 },
      { shard: 'd/labeled-0', record: 2 },
      { shard: 'd/labeled-1', record: 2 },
    ]);
    [4, 0, 2, 5].forEach((n, k) =>
      expect([...pictures[k].bytes]).toEqual(Array.from({ length: sizes[n] }, (_, i) => (n * 13 + i) % 256)),
    );
  });

  it('RecordTable - teacher distributions come with the pictures; a record without one is a DataError naming it', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(store, 'run/gen-1/filtered-0', [
      record(0, 10, undefined, [0.7, 0.2, 0.1]),
      record(1, 10, undefined, [0.1, 0.1, 0.8]),
      record(2, 10),
    ]);
    const table = await RecordTable.build(store, [part], { classes: 3 });
    expect(table.labels).toBeNull();
    const { probabilities } = await table.read(Int32Array.of(1, 0), true);
    expect([...probabilities!].map((p) => +p.toFixed(3))).toEqual([0.1, 0.1, 0.8, 0.7, 0.2, 0.1]);
    const err = await table.read(Int32Array.of(2), true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/run\/gen-1\/filtered-0.*record 2|record 2.*filtered-0/);
  });

  it('RecordTable - a bad label fails the build naming part and record; an object changed after it fails the read', async () => {
    const store = new MemoryObjectStore();
    const bad = await putPart(store, 'd/l-0', [record(0, 8, 1), record(1, 8, 4)]);
    await expect(RecordTable.build(store, [bad], { labels: true, classes: 3 })).rejects.toThrow(
      /d\/l-0.*record 1|record 1.*d\/l-0/,
    );
    const unlabeled = await putPart(store, 'd/l-1', [record(0, 8, 1), record(1, 8)]);
    await expect(RecordTable.build(store, [unlabeled], { labels: true, classes: 3 })).rejects.toThrow(
      /no image\/class\/label/,
    );

    const part = await putPart(store, 'd/l-2', [record(0, 50, 1), record(1, 50, 2)]);
    const table = await RecordTable.build(store, [part], { labels: true, classes: 3 });
    const bytes = Uint8Array.from(await store.get('d/l-2'));
    bytes[bytes.length - 20] ^= 0xff; // inside record 1's picture
    await store.put('d/l-2', bytes);
    await expect(table.read(Int32Array.of(0))).resolves.toBeDefined();
    await expect(table.read(Int32Array.of(1))).rejects.toThrow(/data CRC mismatch/);
    await store.delete('d/l-2');
    await expect(table.read(Int32Array.of(0))).rejects.toThrow(ArtifactError);
  });

  it('RecordTable - reads source files in place, and a file cut short after indexing names the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'record-table-'));
    dirs.push(dir);
    const file = join(dir, 'train-00000-of-00001');
    const bytes = encodeTFRecords([record(0, 900, 2), record(1, 1200, 3)]);
    await writeFile(file, bytes);
    const part: Part = {
      key: 'train-00000-of-00001',
      file,
      bytes: bytes.length,
      records: 2,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const table = await RecordTable.build(new MemoryObjectStore(), [part], { labels: true, classes: 3 });
    expect([...table.labels!]).toEqual([1, 2]);
    const { pictures } = await table.read(Int32Array.of(1));
    expect(pictures[0].bytes.length).toBe(1200);
    await writeFile(file, bytes.subarray(0, 1000));
    await expect(table.read(Int32Array.of(1))).rejects.toThrow(new RegExp(`${file}.*changed`));
  });

  it('RecordTable - reads of one table run at most 32 at a time, however many are asked for', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(
      store,
      'd/big',
      Array.from({ length: 300 }, (_, n) => record(n, 20, 1)),
    );
    const table = await RecordTable.build(store, [part], { classes: 3 });
    let running = 0,
      most = 0;
    const getRange = store.getRange.bind(store);
    store.getRange = async (...args) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return getRange(...args);
    };
    const all = Int32Array.from({ length: 300 }, (_, i) => i);
    // Three calls at once, as steps read ahead do.
    const batches = await Promise.all([table.read(all), table.read(all.subarray(0, 100)), table.read(all)]);
    expect(batches.map((b) => b.pictures.length)).toEqual([300, 100, 300]);
    expect(most).toBe(32);
  });

  it('RecordTable - a scan stores the index; the next build reads it instead of the parts, with the same table', async () => {
    const store = new MemoryObjectStore();
    const a = await putPart(
      store,
      'd/p-0',
      [0, 1, 2].map((n) => record(n, 100 + n * 900, (n % 3) + 1)),
    );
    const b = await putPart(
      store,
      'd/p-1',
      [3, 4].map((n) => record(n, 50, (n % 3) + 1)),
    );
    let streamed: string[] = [];
    const getStream = store.getStream.bind(store);
    store.getStream = async (key) => {
      streamed.push(key);
      return getStream(key);
    };
    const first = await RecordTable.build(store, [a, b], { labels: true, classes: 3 });
    expect(streamed).toEqual(['d/p-0', 'd/p-1']);
    expect((await store.list('indexes/')).sort()).toEqual(
      [`indexes/${a.sha256}.labeled.idx`, `indexes/${b.sha256}.labeled.idx`].sort(),
    );
    streamed = [];
    const second = await RecordTable.build(store, [a, b], { labels: true, classes: 3 });
    expect(streamed).toEqual([]);
    expect([...second.labels!]).toEqual([...first.labels!]);
    const all = Int32Array.from({ length: 5 }, (_, i) => i);
    const [x, y] = [await first.read(all), await second.read(all)];
    expect(y.pictures).toEqual(x.pictures);
    // Without labels the labeled index serves too.
    expect((await RecordTable.build(store, [b], { classes: 3 })).count).toBe(2);
    expect(streamed).toEqual([]);
  });

  it('RecordTable - an index that does not describe its part is ignored: the part is scanned', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(
      store,
      'd/q-0',
      [0, 1].map((n) => record(n, 300, 1)),
    );
    // Lengths that do not add up to the part's bytes (an index of other content under this key).
    await store.put(
      `indexes/${part.sha256}.labeled.idx`,
      encodeIndex({ lengths: Int32Array.of(10, 20), labels: Int32Array.of(0, 0) }),
    );
    expect(decodeIndex(encodeIndex({ lengths: Int32Array.of(10, 20), labels: null }), part)).toBeNull();
    const table = await RecordTable.build(store, [part], { labels: true, classes: 3 });
    const { pictures } = await table.read(Int32Array.of(1));
    expect(pictures[0].bytes.length).toBe(300);
    expect(
      decodeIndex(encodeIndex({ lengths: Int32Array.of(10, 20), labels: null }), { records: 2, bytes: 62 }),
    ).not.toBeNull();
  });

  it('RecordTable - progress counts bytes of the whole table, indexed parts included', async () => {
    const store = new MemoryObjectStore();
    const a = await putPart(store, 'd/r-0', [record(0, 40, 1)]);
    const b = await putPart(store, 'd/r-1', [record(1, 60, 2), record(2, 10, 3)]);
    await RecordTable.build(store, [a], { labels: true, classes: 3 }); // indexes a only
    const seen: Array<[number, number]> = [];
    await RecordTable.build(store, [a, b], { labels: true, classes: 3, onProgress: (d, t) => seen.push([d, t]) });
    const total = a.bytes + b.bytes;
    expect(seen[0]).toEqual([a.bytes, total]); // from a's index
    expect(seen.at(-1)).toEqual([total, total]);
  });

  it('RecordTable - a labeled build does not take a plain index, scans, and stores the labeled one', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(store, 'd/s-0', [record(0, 30, 3), record(1, 30, 1)]);
    await RecordTable.build(store, [part], { classes: 3 }); // stores the plain index
    expect(await store.list('indexes/')).toEqual([`indexes/${part.sha256}.idx`]);
    const table = await RecordTable.build(store, [part], { labels: true, classes: 3 });
    expect([...table.labels!]).toEqual([2, 0]);
    const stored = decodeIndex(await store.get(`indexes/${part.sha256}.labeled.idx`), part);
    expect([...stored!.labels!]).toEqual([2, 0]);
  });

  it('RecordTable - labels from a stored index are checked: outside 1..classes names the part and record', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(store, 'd/t-0', [record(0, 30, 1), record(1, 30, 1)]);
    await store.put(
      `indexes/${part.sha256}.labeled.idx`,
      encodeIndex({ lengths: Int32Array.of(...[0, 1].map(() => (part.bytes - 32) / 2)), labels: Int32Array.of(0, 3) }),
    );
    await expect(RecordTable.build(store, [part], { labels: true, classes: 3 })).rejects.toThrow(
      /d\/t-0.*record 1.*label 4 is outside 1\.\.3/,
    );
    await store.put(
      `indexes/${part.sha256}.labeled.idx`,
      encodeIndex({ lengths: Int32Array.of(...[0, 1].map(() => (part.bytes - 32) / 2)), labels: Int32Array.of(-1, 0) }),
    );
    await expect(RecordTable.build(store, [part], { labels: true, classes: 3 })).rejects.toThrow(
      /record 0.*label 0 is outside 1\.\.3/,
    );
  });

  it('RecordTable - records of the last of several parts (one of them empty) are found', async () => {
    const store = new MemoryObjectStore();
    const parts = [
      await putPart(store, 'd/u-0', [record(0, 10, 1)]),
      await putPart(store, 'd/u-1', []),
      await putPart(store, 'd/u-2', [record(1, 10, 2), record(2, 10, 3)]),
    ];
    const table = await RecordTable.build(store, parts, { classes: 3 });
    expect(table.where(2)).toEqual({ part: parts[2], record: 1 });
    expect(table.where(0)).toEqual({ part: parts[0], record: 0 });
    const { pictures } = await table.read(Int32Array.of(2));
    expect(pictures[0].where).toEqual({ shard: 'd/u-2', record: 1 });
  });

  it('RecordTable - a source file whose size changed, or that is gone, fails the build naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'record-table-'));
    dirs.push(dir);
    const file = join(dir, 'train-00000-of-00001');
    const bytes = encodeTFRecords([record(0, 90, 2)]);
    await writeFile(file, bytes);
    const part: Part = { key: 'train', file, bytes: bytes.length + 1, records: 1, sha256: 'c'.repeat(64) };
    await expect(RecordTable.build(new MemoryObjectStore(), [part], { classes: 3 })).rejects.toThrow(
      new RegExp(`${bytes.length} bytes now`),
    );
    await expect(
      RecordTable.build(new MemoryObjectStore(), [{ ...part, file: join(dir, 'gone') }], { classes: 3 }),
    ).rejects.toThrow(/missing/);
  });

  it('RecordTable - a record without an encoded picture (table features) is a DataError naming it', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(store, 'd/v-0', [encodeExample({ features: floatFeature([1, 2]) })]);
    const table = await RecordTable.build(store, [part], { classes: 3 });
    await expect(table.read(Int32Array.of(0))).rejects.toThrow(/d\/v-0.*no image\/encoded picture/);
  });
});
