// Bad pictures and records in an ImageNet-layout TFRecord source: each fails ingest with a
// DataError that names the source shard and the record, and no dataset manifest is committed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, compileExperiment, sha256Hex } from '@noisy/core';
import { datasetKeys } from '@noisy/contracts';
import {
  bytesFeature,
  decodeExample,
  encodeExample,
  encodeTFRecords,
  int64Feature,
  readTFRecordFile,
  type Example,
} from '@noisy/data';
import { MemoryObjectStore } from '@noisy/platform';
import { datasetIdFor, ingest, isCommitted, type StageContext } from '@noisy/pipeline';
import { generateImageNetLike } from '../../tools/imagenet-gen/src/generate.js';

const SHARD = 'train-00000-of-00001';
let root: string;
let good: Uint8Array[]; // the shard's own records
let jpeg: Uint8Array; // a valid picture of the shard

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inet-bad-'));
  await generateImageNetLike({
    dir: join(root, 'clean'),
    classes: 3,
    trainPerClass: 3,
    validationPerClass: 1,
    trainShards: 1,
    sides: [80, 120],
    seed: 2,
  });
  good = [];
  for await (const rec of readTFRecordFile(join(root, 'clean', SHARD))) good.push(rec);
  const f = decodeExample(good[0])['image/encoded'];
  if (f.kind !== 'bytes') throw new Error('generated record has no image/encoded');
  jpeg = f.value[0];
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A copy of the clean dataset whose train shard ends with `bad`; ingest it and return the error. */
async function ingestWithBadRecord(name: string, bad: Example): Promise<{ err: unknown; committed: boolean }> {
  const dir = join(root, name);
  await generateImageNetLike({
    dir,
    classes: 3,
    trainPerClass: 3,
    validationPerClass: 1,
    trainShards: 1,
    sides: [80, 120],
    seed: 2,
  });
  await writeFile(join(dir, SHARD), encodeTFRecords([...good, encodeExample(bad)]));
  return ingestDir(dir, 'encoded');
}

/** Ingest the TFRecord set in `dir`; the error (or null) and whether a dataset was committed. */
async function ingestDir(dir: string, pictures?: 'encoded'): Promise<{ err: unknown; committed: boolean }> {
  const e = compileExperiment({
    seed: 1,
    data: {
      source: { kind: 'tfrecord', dir, ...(pictures ? { pictures } : {}) },
      labeledPerClass: 1,
      unlabeledShards: 1,
    },
    students: [{}],
  });
  const store = new MemoryObjectStore();
  const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
  const id = datasetIdFor(e, sha256Hex);
  const err = await ingest(ctx, e, id).then(
    () => null,
    (x: unknown) => x,
  );
  return { err, committed: await isCommitted(store, datasetKeys.manifest(id)) };
}

const picture = (bytes: Uint8Array): Example => ({
  'image/encoded': bytesFeature(bytes),
  'image/class/label': int64Feature(2),
});

/** The JPEG with its frame header (SOF0/SOF2) rewritten to say height x width. */
function withFrameSize(bytes: Uint8Array, height: number, width: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out[i + 5] = height >> 8;
      out[i + 6] = height & 255;
      out[i + 7] = width >> 8;
      out[i + 8] = width & 255;
      return out;
    }
  }
  throw new Error('no SOF marker');
}

function expectNamed(r: { err: unknown; committed: boolean }, message: RegExp): void {
  expect(r.err).toBeInstanceOf(DataError);
  const m = (r.err as Error).message;
  expect(m).toContain(SHARD);
  expect(m).toContain('(record 9)'); // the appended record: 9 good ones come first
  expect(m).toMatch(message);
  expect(r.committed).toBe(false);
}

describe('imagenet bad input', () => {
  it('ingest - a corrupt (truncated) JPEG inside a shard is a DataError naming shard and record, nothing committed', async () => {
    const r = await ingestWithBadRecord('corrupt', picture(jpeg.subarray(0, Math.floor(jpeg.length * 0.6))));
    expectNamed(r, /cannot decode picture: truncated or corrupt/);
  });

  it('ingest - a zero-byte image is a DataError naming shard and record, nothing committed', async () => {
    expectNamed(await ingestWithBadRecord('empty', picture(new Uint8Array(0))), /empty \(zero bytes\)/);
  });

  it('ingest - a 30,000 x 30,000 JPEG header is refused before decoding, nothing committed', async () => {
    const r = await ingestWithBadRecord('huge', picture(withFrameSize(jpeg, 30_000, 30_000)));
    expectNamed(r, /image is 30000x30000: larger than the limit \(16384 px a side, 100 megapixels\)/);
  });

  it('ingest - a record without a label in a labeled shard is a DataError naming shard and record', async () => {
    const r = await ingestWithBadRecord('unlabeled', { 'image/encoded': bytesFeature(jpeg) });
    expectNamed(r, /1-based int64 image\/class\/label/);
  });

  it('ingest - the clean dataset ingests (the failures above come from the bad record alone)', async () => {
    const r = await ingestWithBadRecord('clean-copy', picture(jpeg));
    expect(r.err).toBeNull();
    expect(r.committed).toBe(true);
    expect((await readFile(join(root, 'clean-copy', SHARD))).length).toBeGreaterThan(jpeg.length);
  });

  it('ingest - small pictures of varying size decoded to pixels (pictures: auto) fail ingest naming one, and commit nothing', async () => {
    const dir = join(root, 'varying');
    await generateImageNetLike({
      dir,
      classes: 3,
      trainPerClass: 4,
      validationPerClass: 1,
      trainShards: 1,
      sides: [16, 48],
      seed: 4,
    });
    const { err, committed } = await ingestDir(dir);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(
      /picture \S+ is \d+x\d+x3, but the dataset's pictures are \d+x\d+x3 \(its first picture\): pictures of varying size need data\.source\.pictures: encoded/,
    );
    expect(committed).toBe(false);
  });
});
