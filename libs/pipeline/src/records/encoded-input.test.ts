// Training batches of encoded pictures with data parallelism: each rank draws its crops and flips
// from its own stream, and the same seed and rank give the same batches.
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '@noisy/core';
import { IMAGENET_STATS } from '@noisy/data';
import { EncodedTrainBatches, memoryPictures, type EncodedTrainOptions, type PictureList } from './encoded-input.js';

const R = 24;
const open: EncodedTrainBatches[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

/** n noisy JPEGs of one size, so equal crop boxes would give equal pixels only for equal pictures. */
async function pictureList(n: number): Promise<PictureList> {
  const bytes = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      sharp({
        create: {
          width: 80,
          height: 60,
          channels: 3,
          background: { r: 120, g: 90, b: 60 },
          noise: { type: 'gaussian', mean: 110 + i, sigma: 40 },
        },
      })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  );
  return { bytes, shard: bytes.map(() => 'train-00000-of-00001'), record: Int32Array.from(bytes, (_, i) => i) };
}

/** A provider over `list` (one thread, no RandAugment, labeled pictures only unless `o` says otherwise). */
function makeBatches(list: PictureList, o: Partial<EncodedTrainOptions>): EncodedTrainBatches {
  const batches = new EncodedTrainBatches({
    resolution: R,
    stats: { mean: [...IMAGENET_STATS.mean], std: [...IMAGENET_STATS.std] },
    seed: createRng(3).fork('input:0').seed,
    perStep: 4,
    labeledPerStep: 4,
    labeled: { source: memoryPictures(list), augment: { randAugment: null } },
    unlabeled: null,
    threads: 1,
    ...o,
  });
  open.push(batches);
  return batches;
}

async function stepBatch(list: PictureList, o: Partial<EncodedTrainOptions>, step: number): Promise<Float32Array> {
  const batches = makeBatches(list, o);
  // Both ranks are handed the same pictures: any difference comes from their random streams.
  batches.request(step, Int32Array.of(0, 1), null);
  return (await batches.take(step)).input;
}

describe('encoded-input', () => {
  it('EncodedTrainBatches - ranks draw different crops of the same pictures; the same rank repeats its batch', async () => {
    const list = await pictureList(2);
    const rank0 = await stepBatch(list, { rank: 0 }, 5);
    const rank1 = await stepBatch(list, { rank: 1 }, 5);
    const again0 = await stepBatch(list, { rank: 0 }, 5);
    const single = await stepBatch(list, {}, 5);
    expect(rank0.length).toBe(2 * R * R * 3);
    expect(again0).toEqual(rank0);
    // Each picture of the slice differs between ranks, not just the batch as a whole.
    const size = R * R * 3;
    for (let k = 0; k < 2; k++)
      expect(rank1.subarray(k * size, (k + 1) * size)).not.toEqual(rank0.subarray(k * size, (k + 1) * size));
    // One process keeps its stream (models trained before replicas had their own streams are unchanged).
    expect(single).not.toEqual(rank0);
    expect(await stepBatch(list, {}, 5)).toEqual(single);
  }, 60_000);

  it('EncodedTrainBatches - a rank draws a new crop of a picture at every step', async () => {
    const list = await pictureList(2);
    const step5 = await stepBatch(list, { rank: 1 }, 5);
    const step6 = await stepBatch(list, { rank: 1 }, 6);
    expect(step6).not.toEqual(step5);
  }, 60_000);

  it('EncodedTrainBatches - the two pools of a student decode into memory given back once their parts are copied: same batches', async () => {
    const list = await pictureList(3);
    const probs = { values: Float32Array.from({ length: 6 }, (_, i) => i / 6), classes: 2 };
    const run = async (release: boolean) => {
      const batches = makeBatches(list, {
        seed: 11,
        labeledPerStep: 2,
        unlabeled: { source: memoryPictures(list, probs), augment: { randAugment: null } },
      });
      const out: Float32Array[] = [];
      for (let step = 0; step < 5; step++) {
        batches.request(step, Int32Array.of(step % 3, (step + 1) % 3), Int32Array.of(2, 0));
        const b = await batches.take(step);
        expect([...b.unlabeledProbabilities!]).toEqual([
          ...probs.values.subarray(4, 6),
          ...probs.values.subarray(0, 2),
        ]);
        out.push(b.input.slice());
        if (release) batches.release(b);
      }
      return { out, reuse: batches.reuse() };
    };
    const fresh = await run(false);
    const reused = await run(true);
    expect(reused.out).toEqual(fresh.out);
    // Both pools write into given-back memory from the second step on, release or not: the copies
    // into a step's input free their parts.
    expect(fresh.reuse.reused).toBeGreaterThanOrEqual(8);
    expect(reused.reuse.reused).toBeGreaterThanOrEqual(8);
    expect(reused.reuse.batches).toBe(10);
  }, 60_000);

  it('EncodedTrainBatches - a released step (one pool: the only way back) is decoded into again, with the same values', async () => {
    const list = await pictureList(3);
    const run = async (release: boolean) => {
      const batches = makeBatches(list, { seed: 12, perStep: 2, labeledPerStep: 2 });
      const out: Float32Array[] = [];
      // One step in flight at a time, so each release comes back before the next decode.
      for (let step = 0; step < 4; step++) {
        batches.request(step, Int32Array.of(step % 3, (step + 2) % 3), null);
        const b = await batches.take(step);
        out.push(b.input.slice());
        if (release) batches.release(b);
      }
      return { out, reuse: batches.reuse() };
    };
    const fresh = await run(false);
    const released = await run(true);
    expect(fresh.reuse.reused).toBe(0);
    expect(released.reuse.reused).toBe(3);
    expect(released.out).toEqual(fresh.out);
  }, 60_000);
});
