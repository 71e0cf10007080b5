import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRng, DataError, type Rng } from '@noisy/core';
import type { Image } from '../image.js';
import { IMAGENET_STATS, normaliseInto, preprocessForEval, preprocessForTrain } from './preprocess.js';

const where = { shard: 'train-00000-of-00001', record: 3 };

/** A 256x256 PNG (lossless, so edges stay sharp): a 16 px red frame around a blue square. */
async function framed(): Promise<Uint8Array> {
  const inner = await sharp({ create: { width: 224, height: 224, channels: 3, background: { r: 60, g: 90, b: 200 } } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .composite([{ input: inner, left: 16, top: 16 }])
    .png()
    .toBuffer();
}

describe('preprocess', () => {
  it('preprocessForEval - the padded center crop drops exactly the 16 px frame of a 256 px picture at 224', async () => {
    const img = await preprocessForEval(await framed(), where, { resolution: 224 });
    expect([img.height, img.width, img.channels]).toEqual([224, 224, 3]);
    let maxRed = 0;
    for (let i = 0; i < 224 * 224; i++) maxRed = Math.max(maxRed, img.data[3 * i]);
    expect(maxRed).toBe(60); // only the inner colour: the frame (255) is gone
  });

  it('preprocessForTrain - output at the resolution, a function of the seed', async () => {
    const bytes = await sharp({
      create: {
        width: 500,
        height: 375,
        channels: 3,
        background: { r: 10, g: 20, b: 30 },
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg({ quality: 90 })
      .toBuffer();
    const run = (seed: number) => preprocessForTrain(bytes, where, { resolution: 240 }, createRng(seed));
    const [a, b, c] = await Promise.all([run(5), run(5), run(6)]);
    expect([a.image.height, a.image.width, a.image.channels]).toEqual([240, 240, 3]);
    expect(a.image.data).toEqual(b.image.data);
    expect(a.box).toEqual(b.box);
    expect(a.box).not.toEqual(c.box);
    expect(a.fallback).toBe(false);
  });

  it('preprocessForTrain - flips about half the time and calls the augment hook last', async () => {
    const bytes = await framed();
    const rng = createRng(9);
    const seen: Image[] = [];
    const augment = (img: Image, r: Rng) => {
      seen.push(img);
      expect(typeof r.next()).toBe('number');
      return { ...img, data: img.data.map(() => 7) };
    };
    let flips = 0;
    for (let i = 0; i < 40; i++) {
      const p = await preprocessForTrain(bytes, where, { resolution: 32, augment }, rng);
      if (p.flipped) flips++;
      expect(p.image.data[0]).toBe(7);
    }
    expect(seen.length).toBe(40);
    expect(flips).toBeGreaterThan(8);
    expect(flips).toBeLessThan(32);
  });

  it('preprocessForTrain - a corrupt picture is a DataError naming shard and record', async () => {
    const bytes = (await framed()).subarray(0, 300);
    const err = await preprocessForTrain(bytes, where, { resolution: 32 }, createRng(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain('train-00000-of-00001 (record 3)');
  });

  it('normaliseInto - applies (v/255 - mean)/std per channel', () => {
    const img: Image = { height: 1, width: 2, channels: 3, data: Uint8Array.from([255, 0, 128, 0, 255, 0]) };
    const out = new Float32Array(8);
    normaliseInto(img, IMAGENET_STATS, out, 2);
    expect(out[0]).toBe(0);
    expect(out[2]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(out[3]).toBeCloseTo(-0.456 / 0.224, 5);
    expect(out[4]).toBeCloseTo((128 / 255 - 0.406) / 0.225, 5);
    expect(out[6]).toBeCloseTo((1 - 0.456) / 0.224, 5);
  });
});
