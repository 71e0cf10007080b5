import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng, DataError } from '@noisy/core';
import { InputPool, type EncodedPicture, type InputBatch, type InputPoolOptions } from './input-pool.js';
import { IMAGENET_STATS, normaliseInto, preprocessForEval, preprocessForTrain } from './preprocess.js';

const R = 32;
const pools: InputPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function pictures(n: number): Promise<EncodedPicture[]> {
  const rng = createRng(1);
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const width = 60 + rng.int(80),
        height = 50 + rng.int(80);
      const bytes = await sharp({
        create: {
          width,
          height,
          channels: 3,
          background: { r: (i * 40) % 256, g: 90, b: 200 - i },
          noise: { type: 'gaussian', mean: 100, sigma: 30 },
        },
      })
        .jpeg({ quality: 90 })
        .toBuffer();
      return { bytes, where: { shard: `train-0000${i % 2}-of-00002`, record: i }, label: i % 7 };
    }),
  );
}

async function collect(o: Partial<InputPoolOptions>, pics: EncodedPicture[]): Promise<InputBatch[]> {
  const pool = new InputPool({
    threads: 2,
    batchSize: 5,
    resolution: R,
    mode: 'train',
    stats: IMAGENET_STATS,
    seed: 7,
    ...o,
  });
  pools.push(pool);
  const out: InputBatch[] = [];
  for await (const b of pool.batches(pics)) out.push(b);
  return out;
}

describe('input-pool', () => {
  it('InputPool - batches are the same for 1 or 3 threads and equal in-thread preprocessing in stream order', async () => {
    const pics = await pictures(12);
    const a = await collect({ threads: 3, prefetch: 4 }, pics);
    const b = await collect({ threads: 1, prefetch: 1 }, pics);
    expect(a.map((x) => x.count)).toEqual([5, 5, 2]);
    expect(a.map((x) => x.index)).toEqual([0, 1, 2]);
    for (let k = 0; k < a.length; k++) {
      expect(a[k].images).toEqual(b[k].images);
      expect(Array.from(a[k].labels)).toEqual(Array.from(b[k].labels));
    }
    // Picture 8 = batch 1, slot 3, with generator fork(7, 8).
    const size = R * R * 3;
    const want = new Float32Array(size);
    const p = await preprocessForTrain(pics[8].bytes, pics[8].where, { resolution: R }, createRng(7).fork(8));
    normaliseInto(p.image, IMAGENET_STATS, want, 0);
    expect(a[1].images.subarray(3 * size, 4 * size)).toEqual(want);
    expect(a[1].labels[3]).toBe(8 % 7);
    const other = await collect({ seed: 8 }, pics);
    expect(other[0].images).not.toEqual(a[0].images);
  });

  it('InputPool - eval mode is the padded center crop, and the pool counts batches, images and waiting', async () => {
    const pics = await pictures(6);
    const pool = new InputPool({
      threads: 2,
      batchSize: 4,
      resolution: R,
      mode: 'eval',
      stats: IMAGENET_STATS,
      seed: 0,
    });
    pools.push(pool);
    const got: InputBatch[] = [];
    for await (const b of pool.batches(pics)) got.push(b);
    const want = new Float32Array(R * R * 3);
    normaliseInto(await preprocessForEval(pics[5].bytes, pics[5].where, { resolution: R }), IMAGENET_STATS, want, 0);
    expect(got[1].images.subarray(R * R * 3, 2 * R * R * 3)).toEqual(want);
    const s = pool.stats();
    expect([s.batches, s.images]).toEqual([2, 6]);
    expect(s.waitedMs).toBeGreaterThan(0);
  });

  it('InputPool - batches written into recycled buffers equal fresh ones, and the buffers are reused', async () => {
    const pics = await pictures(23);
    const fresh = await collect({ threads: 1, prefetch: 1 }, pics);
    const pool = new InputPool({
      threads: 1,
      prefetch: 1,
      batchSize: 5,
      resolution: R,
      mode: 'train',
      stats: IMAGENET_STATS,
      seed: 7,
    });
    pools.push(pool);
    const copies: Float32Array[] = [];
    for await (const b of pool.batches(pics)) {
      copies.push(Float32Array.from(b.images));
      pool.recycle(b.images); // the consumer is done with it
    }
    expect(copies.map((c) => c.length)).toEqual(fresh.map((b) => b.images.length));
    copies.forEach((c, k) => expect(c).toEqual(fresh[k].images));
    // 5 batches, prefetch 1: each batch after the first is launched after the consumer gave the
    // previous one back, so only the first is a fresh allocation.
    expect(pool.stats().reused).toBe(4);
  });

  it('InputPool - a corrupt picture fails the stream with a DataError naming shard and record', async () => {
    const pics = await pictures(8);
    pics[6] = { ...pics[6], bytes: pics[6].bytes.subarray(0, 100) };
    const err = await collect({}, pics).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/^train-00000-of-00002 \(record 6\): /);
    expect((err as DataError).record).toBe(6);
  });
});
