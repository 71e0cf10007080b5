import { describe, expect, it } from 'vitest';
import { createRng } from '@noisy/core';
import type { Image } from '@noisy/data';
import * as op from './image-ops.js';
import { RANDAUGMENT_OPS, applyOp, augmentForTraining, randAugment } from './randaugment.js';

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

describe('randaugment ops', () => {
  it('randaugment - invert, solarize, solarize-add and posterize give the expected pixels', () => {
    expect(px(op.invert(img))).toEqual([255, 205, 155, 105, 55, 5, 245, 127, 0]);
    // M = 5: threshold int(256 * .5) = 128: pixels >= 128 inverted
    expect(px(applyOp(img, 'Solarize', 5, { translateConst: 0, cutoutConst: 0 }, createRng(0)))).toEqual([
      0, 50, 100, 105, 55, 5, 10, 127, 0,
    ]);
    // M = 5: addition int(110 * .5) = 55 to pixels < 128, clipped
    expect(px(applyOp(img, 'SolarizeAdd', 5, { translateConst: 0, cutoutConst: 0 }, createRng(0)))).toEqual([
      55, 105, 155, 150, 200, 250, 65, 128, 255,
    ]);
    // M = 5: bits int(4 * .5) = 2 -> keep the top 2 bits
    expect(px(applyOp(img, 'Posterize', 5, { translateConst: 0, cutoutConst: 0 }, createRng(0)))).toEqual([
      0, 0, 64, 128, 192, 192, 0, 128, 192,
    ]);
  });

  it('randaugment - enhance ops are the identity at M = 5 (factor 1.0) and blend otherwise', () => {
    for (const name of ['Color', 'Contrast', 'Brightness', 'Sharpness'] as const) {
      expect(px(applyOp(img, name, 5, { translateConst: 0, cutoutConst: 0 }, createRng(0)))).toEqual(px(img));
    }
    // Brightness at M = 0: factor 0.1 blends towards black, truncated: trunc(0.1 * p)
    expect(px(applyOp(img, 'Brightness', 0, { translateConst: 0, cutoutConst: 0 }, createRng(0)))).toEqual([
      0, 5, 10, 15, 20, 25, 1, 12, 25,
    ]);
    // Contrast at factor 2: mean of the grey image is trunc(1143 / 9) = 127; 127 + 2 (p - 127), clipped
    expect(px(op.contrast(img, 2))).toEqual([0, 0, 73, 173, 255, 255, 0, 129, 255]);
  });

  it('randaugment - autocontrast stretches to 0..255 and equalize flattens the histogram', () => {
    const low = grey([
      [100, 110],
      [120, 130],
    ]);
    expect(px(op.autoContrast(low))).toEqual([0, 85, 170, 255]);
    expect(px(op.equalize(low))).toEqual([100, 110, 120, 130]); // step = floor((4 - 1) / 255) = 0: identity
    // 512 pixels of 10 and 512 of 20: step = floor(512 / 255) = 2; lut(10) = floor(1 / 2) = 0, lut(20) = min(255, floor(513 / 2))
    const two: Image = {
      height: 32,
      width: 32,
      channels: 1,
      data: Uint8Array.from({ length: 1024 }, (_, i) => (i < 512 ? 10 : 20)),
    };
    const eq = op.equalize(two);
    expect([eq.data[0], eq.data[1023]]).toEqual([0, 255]);
  });

  it('randaugment - geometric ops fill with 128 and translate/shear/rotate move pixels', () => {
    expect(px(op.translateX(img, 1))).toEqual([50, 100, 128, 200, 250, 128, 128, 255, 128]);
    expect(px(op.translateY(img, -1))).toEqual([128, 128, 128, 0, 50, 100, 150, 200, 250]);
    expect(px(op.rotate(img, 180))).toEqual([255, 128, 10, 250, 200, 150, 100, 50, 0]);
    expect(px(op.shearX(img, 1))).toEqual([0, 50, 100, 200, 250, 128, 255, 128, 128]);
    expect(px(op.cutout(img, 1, 1, 1))).toEqual([128, 128, 100, 128, 128, 250, 10, 128, 255]);
    expect(px(op.flipHorizontal(img))).toEqual([100, 50, 0, 250, 200, 150, 255, 128, 10]);
    // reflect-pad 1 and crop at offset (0, 0): the top-left neighbourhood mirrored
    expect(px(op.padCrop(img, 1, 0, 0))).toEqual([200, 150, 200, 50, 0, 50, 200, 150, 200]);
  });

  it('randaugment - N layers drawn from 16 ops, seeded, every op runs on RGB images', () => {
    expect(RANDAUGMENT_OPS).toHaveLength(16);
    const rgb: Image = {
      height: 8,
      width: 8,
      channels: 3,
      data: Uint8Array.from({ length: 192 }, (_, i) => (i * 37) % 256),
    };
    for (const name of RANDAUGMENT_OPS) {
      const out = applyOp(rgb, name, 9, { translateConst: 2, cutoutConst: 2 }, createRng(1));
      expect(out.data).toHaveLength(192);
    }
    const a = randAugment(
      rgb,
      { layers: 2, magnitude: 9, cutoutOp: true, translateConst: 2, cutoutConst: 2 },
      createRng(5),
    );
    const b = randAugment(
      rgb,
      { layers: 2, magnitude: 9, cutoutOp: true, translateConst: 2, cutoutConst: 2 },
      createRng(5),
    );
    expect(px(a)).toEqual(px(b));
    const t = augmentForTraining(
      rgb,
      { randAugment: { layers: 2, magnitude: 9, cutoutOp: true, extraCutout: true }, flip: true, padCrop: true },
      createRng(2),
    );
    expect([t.height, t.width, t.channels]).toEqual([8, 8, 3]);
  });
});
