// Every RandAugment op through applyOp (the level table included) against pixels computed by hand
// from the original's TF formulas (randaugment.py): truncating casts, Contrast's count/256
// degenerate value, nearest-neighbour sampling with fill 128.
import { describe, expect, it } from 'vitest';
import { createRng } from '@noisy/core';
import type { Image } from '@noisy/data';
import * as op from './image-ops.js';
import {
  RANDAUGMENT_OPS,
  applyOp,
  augmentForTraining,
  randAugment,
  randAugmentConstants,
  type RandAugmentOp,
} from './randaugment.js';

const grey = (rows: number[][]): Image => ({
  height: rows.length,
  width: rows[0].length,
  channels: 1,
  data: Uint8Array.from(rows.flat()),
});
const img = grey([
  [0, 50, 100],
  [150, 200, 250],
  [10, 128, 255],
]);
const px = (i: Image) => Array.from(i.data);
const consts = { translateConst: 1, cutoutConst: 1 };
const at = (name: RandAugmentOp, M: number, image = img, seed = 0) =>
  px(applyOp(image, name, M, consts, createRng(seed)));
/** The sign applyOp draws first from createRng(seed): the original keeps the level when u >= 0.5. */
const positive = (seed: number) => createRng(seed).next() >= 0.5;
/** Seeds whose first draw keeps the level and negates it, so both branches are checked. */
const seedPos = [0, 1, 2, 3, 4, 5].find(positive)!;
const seedNeg = [0, 1, 2, 3, 4, 5].find((s) => !positive(s))!;

describe('randaugment ops', () => {
  it('randaugment - Invert, Solarize, SolarizeAdd and Posterize give the expected pixels', () => {
    expect(at('Invert', 5)).toEqual([255, 205, 155, 105, 55, 5, 245, 127, 0]);
    // M = 5: threshold int(256 * .5) = 128: pixels >= 128 inverted
    expect(at('Solarize', 5)).toEqual([0, 50, 100, 105, 55, 5, 10, 127, 0]);
    // M = 5: addition int(110 * .5) = 55 to pixels < 128, clipped
    expect(at('SolarizeAdd', 5)).toEqual([55, 105, 155, 150, 200, 250, 65, 128, 255]);
    // M = 5: bits int(4 * .5) = 2 -> keep the top 2 bits; M = 10: 4 bits
    expect(at('Posterize', 5)).toEqual([0, 0, 64, 128, 192, 192, 0, 128, 192]);
    expect(at('Posterize', 10)).toEqual([0, 48, 96, 144, 192, 240, 0, 128, 240]);
    // M = 0: bits 0, shift 8 clamped to 7 as TF's uint8 shifts do: the top bit stays
    expect(at('Posterize', 0)).toEqual([0, 0, 0, 128, 128, 128, 0, 128, 128]);
  });

  it('randaugment - the enhance ops are the identity at M = 5 (factor 1.0)', () => {
    for (const name of ['Color', 'Contrast', 'Brightness', 'Sharpness'] as const) expect(at(name, 5)).toEqual(px(img));
  });

  it('randaugment - Brightness and Color blend at factor 1.8 L + 0.1, truncating and clipping', () => {
    // M = 10: factor 1.9 extrapolates from black: trunc(clip(1.9 p))
    expect(at('Brightness', 10)).toEqual([0, 95, 190, 255, 255, 255, 19, 243, 255]);
    // M = 0: factor 0.1 interpolates: trunc(0.1 p)
    expect(at('Brightness', 0)).toEqual([0, 5, 10, 15, 20, 25, 1, 12, 25]);
    // Color on RGB: luma trunc((.2989 r + .587 g + .114 b) / 255 * 255.5) = 124 and 18, then
    // 124 + 1.9 (p - 124): 268.4 -> 255, 78.4 -> 78, -16.6 -> 0; 18 + 1.9 (p - 18): 2.8, 21.8, 40.8
    const rgb: Image = { height: 1, width: 2, channels: 3, data: Uint8Array.from([200, 100, 50, 10, 20, 30]) };
    expect(at('Color', 10, rgb)).toEqual([255, 78, 0, 2, 21, 40]);
    expect(at('Color', 10)).toEqual(px(img)); // grey images have no colour to remove
  });

  it("randaugment - Contrast blends towards the original's count / 256 grey level, not the image mean", () => {
    // 16 x 32 = 512 pixels: degenerate = trunc(512 / 256) = 2 whatever the pixels (PIL would use ~100)
    const data = Uint8Array.from({ length: 512 }, (_, i) => [100, 0, 200, 3][i % 4]);
    const wide: Image = { height: 16, width: 32, channels: 1, data };
    // M = 10, factor 1.9: 2 + 1.9 (p - 2): 100 -> 188.2, 0 -> -1.8, 200 -> 378.2, 3 -> 3.9
    expect(at('Contrast', 10, wide).slice(0, 4)).toEqual([188, 0, 255, 3]);
    // 3 x 3 = 9 pixels: degenerate trunc(9 / 256) = 0, so Contrast equals Brightness there
    expect(at('Contrast', 10)).toEqual(at('Brightness', 10));
  });

  it('randaugment - Sharpness smooths the interior with [1 1 1; 1 5 1; 1 1 1] / 13, truncated', () => {
    const s = grey([
      [0, 50, 100],
      [150, 201, 250],
      [10, 128, 255],
    ]);
    // interior: (943 + 5 * 201) / 13 = 149.85 -> 149 (rounding would give 150); border unchanged.
    // M = 10: 149 + 1.9 * (201 - 149) = 247.8 -> 247; M = 0: 149 + 0.1 * 52 = 154.2 -> 154
    expect(at('Sharpness', 10, s)).toEqual([0, 50, 100, 150, 247, 250, 10, 128, 255]);
    expect(at('Sharpness', 0, s)).toEqual([0, 50, 100, 150, 154, 250, 10, 128, 255]);
  });

  it('randaugment - AutoContrast stretches each channel to 0..255 and Equalize flattens the histogram', () => {
    const low = grey([
      [100, 110],
      [120, 130],
    ]);
    expect(at('AutoContrast', 5, low)).toEqual([0, 85, 170, 255]);
    expect(at('AutoContrast', 5, grey([[7, 7]]))).toEqual([7, 7]); // flat: unchanged
    expect(at('Equalize', 5, low)).toEqual([100, 110, 120, 130]); // step = floor((4 - 1) / 255) = 0: identity
    // 256 x 10, 256 x 20, 512 x 30: step = (1024 - 512) // 255 = 2; lut(v) = (count below v + 1) // 2
    // -> lut(10) = 0, lut(20) = 257 // 2 = 128, lut(30) = 513 // 2 = 256 -> 255
    const three: Image = {
      height: 32,
      width: 32,
      channels: 1,
      data: Uint8Array.from({ length: 1024 }, (_, i) => (i < 256 ? 10 : i < 512 ? 20 : 30)),
    };
    const eq = at('Equalize', 5, three);
    expect([eq[0], eq[256], eq[1023]]).toEqual([0, 128, 255]);
  });

  it('randaugment - Rotate turns by 30 L degrees about the centre with a random sign', () => {
    // M = 30: 90 degrees. +90: out(y, x) = in(x, 2 - y); -90: out(y, x) = in(2 - x, y)
    expect(at('Rotate', 30, img, seedPos)).toEqual([100, 250, 255, 50, 200, 128, 0, 150, 10]);
    expect(at('Rotate', 30, img, seedNeg)).toEqual([10, 150, 0, 128, 200, 50, 255, 250, 100]);
    expect(px(op.rotate(img, 180))).toEqual([255, 128, 10, 250, 200, 150, 100, 50, 0]);
  });

  it('randaugment - ShearX and ShearY move rows and columns by 0.3 L per pixel, filling 128', () => {
    // +0.3: row y samples x + 0.3 y (nearest): row 2 shifts by round(0.6) = 1
    expect(at('ShearX', 10, img, seedPos)).toEqual([0, 50, 100, 150, 200, 250, 128, 255, 128]);
    expect(at('ShearX', 10, img, seedNeg)).toEqual([0, 50, 100, 150, 200, 250, 128, 10, 128]);
    // ShearY: column x samples y + 0.3 x: column 2 shifts by one row
    expect(at('ShearY', 10, img, seedPos)).toEqual([0, 50, 250, 150, 200, 255, 10, 128, 128]);
    expect(at('ShearY', 10, img, seedNeg)).toEqual([0, 50, 128, 150, 200, 100, 10, 128, 250]);
  });

  it('randaugment - TranslateX and TranslateY shift by L * translateConst pixels, filling 128', () => {
    expect(at('TranslateX', 10, img, seedPos)).toEqual([50, 100, 128, 200, 250, 128, 128, 255, 128]);
    expect(at('TranslateX', 10, img, seedNeg)).toEqual([128, 0, 50, 128, 150, 200, 128, 10, 128]);
    expect(at('TranslateY', 10, img, seedPos)).toEqual([150, 200, 250, 10, 128, 255, 128, 128, 128]);
    expect(at('TranslateY', 10, img, seedNeg)).toEqual([128, 128, 128, 0, 50, 100, 150, 200, 250]);
  });

  it('randaugment - Cutout fills a 2 * int(L * cutoutConst) square at a seeded centre with 128', () => {
    const r = createRng(3);
    const [cy, cx] = [r.int(3), r.int(3)];
    const expected = px(img).map((v, i) => {
      const [y, x] = [Math.floor(i / 3), i % 3];
      return y >= cy - 1 && y < cy + 1 && x >= cx - 1 && x < cx + 1 ? 128 : v;
    });
    expect(at('Cutout', 10, img, 3)).toEqual(expected);
    expect(expected.filter((v, i) => v !== img.data[i]).length).toBeGreaterThan(0);
    expect(px(op.cutout(img, 1, 1, 1))).toEqual([128, 128, 100, 128, 128, 250, 10, 128, 255]);
  });

  it('randaugment - pad-crop reflects and flip mirrors', () => {
    expect(px(op.flipHorizontal(img))).toEqual([100, 50, 0, 250, 200, 150, 255, 128, 10]);
    // reflect-pad 1 and crop at offset (0, 0): the top-left neighbourhood mirrored
    expect(px(op.padCrop(img, 1, 0, 0))).toEqual([200, 150, 200, 50, 0, 50, 200, 150, 200]);
  });

  it("randaugment - constants: size / 8 for small images, the original's 40 / 100 px for larger ones", () => {
    expect(randAugmentConstants(28)).toEqual({ cutoutConst: 3, translateConst: 3 });
    expect(randAugmentConstants(32)).toEqual({ cutoutConst: 4, translateConst: 4 });
    expect(randAugmentConstants(224)).toEqual({ cutoutConst: 40, translateConst: 100 });
    expect(randAugmentConstants(64)).toEqual({ cutoutConst: 40, translateConst: 100 });
  });

  it('randaugment - N layers drawn from 16 ops (15 without Cutout), seeded', () => {
    expect(RANDAUGMENT_OPS).toHaveLength(16);
    const rgb: Image = {
      height: 8,
      width: 8,
      channels: 3,
      data: Uint8Array.from({ length: 192 }, (_, i) => (i * 37) % 256),
    };
    const o = { layers: 2, magnitude: 9, cutoutOp: true, translateConst: 2, cutoutConst: 2 };
    expect(px(randAugment(rgb, o, createRng(5)))).toEqual(px(randAugment(rgb, o, createRng(5))));
    expect(px(randAugment(rgb, { ...o, layers: 0 }, createRng(5)))).toEqual(px(rgb));
    // one layer = the op the first draw picks, applied with the rest of the stream
    const r = createRng(11);
    const name = RANDAUGMENT_OPS[r.int(15)];
    expect(px(randAugment(rgb, { ...o, layers: 1, cutoutOp: false }, createRng(11)))).toEqual(
      px(applyOp(rgb, name, 9, o, r)),
    );
    const t = augmentForTraining(
      rgb,
      { randAugment: { layers: 2, magnitude: 9, cutoutOp: true, extraCutout: true }, flip: true, padCrop: true },
      createRng(2),
    );
    expect([t.height, t.width, t.channels]).toEqual([8, 8, 3]);
  });
});
