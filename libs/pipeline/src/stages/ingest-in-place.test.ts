// Read in place: a TFRecord source of encoded pictures in the original's layout. The train files
// (under labeledPerClass 'all'), the validation file and the extra unlabeled file are used as they
// are (the manifest points at them, with the size and sha256 counted); a chosen subset is copied. A source file changed afterwards fails
// every read of it, and the commit check, with a DataError naming the file.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, compileExperiment, sha256Hex, type CompiledExperiment } from '@noisy/core';
import { MemoryObjectStore } from '@noisy/platform';
import { readSamples, type StageContext } from '../records/context.js';
import { pictureFile } from './in-place-fixture.js';
import { datasetIdFor, ingest } from './ingest.js';
import { readManifest, verifyCommit } from './manifests.js';

let dir = '';
let extra = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'in-place-'));
  extra = await mkdtemp(join(tmpdir(), 'in-place-extra-'));
  const file = pictureFile;
  await writeFile(join(dir, 'train-00000-of-00002'), file(9, 0, true));
  await writeFile(join(dir, 'train-00001-of-00002'), file(9, 9, true));
  await writeFile(join(dir, 'validation-00000-of-00001'), file(6, 100, true));
  await writeFile(join(extra, 'extra-00000-of-00001'), file(7, 200, false));
});
afterAll(() => Promise.all([dir, extra].map((d) => rm(d, { recursive: true, force: true }))));

const experiment = (): CompiledExperiment =>
  compileExperiment({
    seed: 2,
    data: {
      source: { kind: 'tfrecord', dir, unlabeled: extra, readInPlace: true },
      labeledPerClass: 'all',
      unlabeledShards: 4,
    },
    students: [{}],
  });

describe('ingest in place', () => {
  it('ingest - validation and extra files are read in place; a changed file then fails with a DataError naming it', async () => {
    const store = new MemoryObjectStore();
    const e = experiment();
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const key = await ingest(ctx, e, datasetIdFor(e, sha256Hex));
    const m = await readManifest(store, key, 'dataset');
    const validation = join(dir, 'validation-00000-of-00001');
    const extraFile = join(extra, 'extra-00000-of-00001');
    expect(m.data.encoded).toBe(true);
    expect(m.data.test).toMatchObject([{ key: validation, file: validation, records: 6 }]);
    expect(m.data.unlabeled).toMatchObject([{ key: extraFile, file: extraFile, records: 7 }]);
    const train = [0, 1].map((k) => join(dir, `train-0000${k}-of-00002`));
    // labeledPerClass 'all', no dev: every train file is a labeled part as it is.
    expect(m.data.labeled).toMatchObject(train.map((f) => ({ key: f, file: f, records: 9 })));
    expect(m.counts).toMatchObject({ labeled: 18, labeledParts: 2, unlabeled: 7, test: 6 });
    // Nothing of the in-place files was copied into the store: no labeled, test or unlabeled shard.
    // (Record indexes, indexes/<sha256>.idx, describe the files; they are not copies.)
    expect(
      (await store.list('')).filter((k) => !k.startsWith('indexes/') && /\/(labeled|test|unlabeled)\/|labeled/.test(k)),
    ).toEqual([]);
    const labeled = (await Promise.all(m.data.labeled.map((p) => readSamples(store, p, 3, true)))).flat();
    expect(labeled.map((s) => s.label)).toEqual(Array.from({ length: 18 }, (_, i) => i % 3));
    const test = await readSamples(store, m.data.test[0], 3, true);
    expect(test.map((s) => s.label)).toEqual([100, 101, 102, 103, 104, 105].map((i) => i % 3));
    expect(test[0].encoded).toBeInstanceOf(Uint8Array);
    expect(await verifyCommit(store, key)).toBe(true);

    const original = await readFile(validation);
    await appendFile(validation, Uint8Array.of(0)); // the source changes under the dataset
    try {
      const err = await readSamples(store, m.data.test[0], 3, true).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(
        new RegExp(`^${validation}: changed since ingest read it in place \\(more than \\d+ bytes`),
      );
      await expect(verifyCommit(store, key)).rejects.toThrow(DataError);
      expect(await store.head(key)).not.toBeNull(); // a changed source is not a damaged commit: kept, and said
    } finally {
      await writeFile(validation, original);
    }
  });

  it('ingest - a train file read in place that changes fails its next read with a DataError naming it', async () => {
    const store = new MemoryObjectStore();
    const e = experiment();
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const key = await ingest(ctx, e, datasetIdFor(e, sha256Hex));
    const m = await readManifest(store, key, 'dataset');
    const train = join(dir, 'train-00001-of-00002');
    const part = m.data.labeled.find((p) => p.file === train)!;
    const original = await readFile(train);
    const flipped = Uint8Array.from(original);
    flipped[flipped.length - 20] ^= 0xff; // same size, other bytes
    await writeFile(train, flipped);
    try {
      const err = await readSamples(store, part, 3, true).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(new RegExp(`^${train}: `));
      expect((err as Error).message).toMatch(/changed since ingest read it in place \(record \d+ no longer reads/);
      await expect(verifyCommit(store, key)).rejects.toThrow(DataError);
    } finally {
      await writeFile(train, original);
    }
  });

  it('ingest - a dev split or labeledPerClass N copies the labeled records instead', async () => {
    for (const data of [{ labeledPerClass: 'all', dev: 3 }, { labeledPerClass: 2 }]) {
      const store = new MemoryObjectStore();
      const e = compileExperiment({
        seed: 2,
        data: { source: { kind: 'tfrecord', dir, unlabeled: extra, readInPlace: true }, ...data },
        students: [{}],
      });
      const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
      const m = await readManifest(store, await ingest(ctx, e, datasetIdFor(e, sha256Hex)), 'dataset');
      expect(m.data.labeled.some((p) => p.file)).toBe(false);
      expect(m.data.labeled.length).toBeGreaterThan(0);
      expect(m.counts.labeled).toBe(data.labeledPerClass === 'all' ? 15 : 6);
    }
  });

  it('ingest - a capped unlabeled set or a test limit copies the chosen records instead', async () => {
    const store = new MemoryObjectStore();
    const e = compileExperiment({
      seed: 2,
      data: {
        source: { kind: 'tfrecord', dir, unlabeled: extra, readInPlace: true },
        labeledPerClass: 'all',
        unlabeled: 5,
        testLimit: 4,
      },
      students: [{}],
    });
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const m = await readManifest(store, await ingest(ctx, e, datasetIdFor(e, sha256Hex)), 'dataset');
    expect([...m.data.test, ...m.data.unlabeled].some((p) => p.file)).toBe(false);
    expect(m.counts).toMatchObject({ unlabeled: 5, test: 4 });
  });

  it('ingest - without readInPlace every file is copied into the store', async () => {
    const store = new MemoryObjectStore();
    const e = compileExperiment({
      seed: 2,
      data: { source: { kind: 'tfrecord', dir, unlabeled: extra }, labeledPerClass: 'all', unlabeledShards: 4 },
      students: [{}],
    });
    const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
    const m = await readManifest(store, await ingest(ctx, e, datasetIdFor(e, sha256Hex)), 'dataset');
    expect(m.parts.some((p) => p.file)).toBe(false);
    expect(m.counts).toMatchObject({ labeled: 18, unlabeled: 7, test: 6 });
  });
});
