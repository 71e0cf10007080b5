import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '@noisy/core';
import {
  INCEPTION_CROP,
  centerCropBox,
  generateRandomCrop,
  lrint,
  sampleDistortedBox,
  trainCropBox,
} from './crop-box.js';

/**
 * The original's sampler in continuous form, on an S x S picture: aspect a ~ U[3/4, 4/3], height
 * h ~ U[S sqrt(0.08/a), S min(1, 1/a)], relative area a h^2 / S^2, accepted when >= 0.1.
 * Returns P(one attempt is accepted) and E[area], E[aspect] over accepted crops (midpoint rule).
 */
function continuousSampler(): { pAccept: number; meanArea: number; meanAspect: number } {
  const steps = 800;
  let acc = 0,
    area = 0,
    aspect = 0;
  for (let i = 0; i < steps; i++) {
    const a = 0.75 + ((i + 0.5) / steps) * (4 / 3 - 0.75);
    const lo = Math.sqrt(0.08 / a),
      hi = Math.min(1, 1 / a);
    for (let j = 0; j < steps; j++) {
      const h = lo + ((j + 0.5) / steps) * (hi - lo);
      const r = a * h * h;
      if (r >= 0.1) {
        acc++;
        area += r;
        aspect += a;
      }
    }
  }
  return { pAccept: acc / steps ** 2, meanArea: area / acc, meanAspect: aspect / acc };
}

describe('crop-box', () => {
  it('lrint - rounds half to even like C lrintf', () => {
    expect([2.5, 3.5, -2.5, 2.4, 2.6, 122.47].map(lrint)).toEqual([2, 4, -2, 2, 3, 122]);
  });

  it('generateRandomCrop - heights are uniform integers in [122, 375] with 122 repaired to 123 (500x375, aspect 1)', () => {
    // By hand from the TensorFlow op: min area 0.08*500*375 = 15000 -> h = lrint(sqrt(15000)) = 122,
    // max h = lrint(sqrt(187500)) = 433 capped at 375; 122*122 < 15000 so 122 becomes 123.
    const rng = createRng(7);
    const counts = new Map<number, number>();
    const draws = 50_800;
    let outside = 0;
    for (let n = 0; n < draws; n++) {
      const b = generateRandomCrop(500, 375, 0.08, 1, 1, rng)!;
      // Offsets in [0, H - h) (TensorFlow's Uniform(n)): never flush with the bottom or right edge.
      if (b.width !== b.height || b.top >= Math.max(1, 375 - b.height) || b.left >= 500 - b.height) outside++;
      counts.set(b.height, (counts.get(b.height) ?? 0) + 1);
    }
    expect(outside).toBe(0);
    expect(Math.min(...counts.keys())).toBe(123);
    expect(Math.max(...counts.keys())).toBe(375);
    let chi2 = 0;
    for (let h = 123; h <= 375; h++) {
      const expected = (draws * (h === 123 ? 2 : 1)) / 254;
      chi2 += ((counts.get(h) ?? 0) - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(330); // 252 degrees of freedom: p < 0.001 above ~321
  });

  it('sampleDistortedBox - area and aspect of accepted crops follow the original formulas (1000x1000)', () => {
    const want = continuousSampler();
    const rng = createRng(11);
    const n = 20_000;
    let area = 0,
      aspect = 0,
      whole = 0,
      accepted = 0,
      outside = 0;
    for (let i = 0; i < n; i++) {
      const b = sampleDistortedBox(1000, 1000, INCEPTION_CROP, rng);
      if (b.width === 1000 && b.height === 1000) whole++;
      const r = (b.width * b.height) / 1e6;
      if (r < 0.1 || b.width / b.height < 0.74 || b.width / b.height > 1.34) outside++;
      area += r;
      aspect += b.width / b.height;
      // One attempt on its own, to estimate the acceptance rate.
      const a = 0.75 + rng.next() * (4 / 3 - 0.75);
      const one = generateRandomCrop(1000, 1000, 0.08, 1, a, rng);
      if (one && (one.width * one.height) / 1e6 >= 0.1) accepted++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(area / n - want.meanArea)).toBeLessThan(0.01);
    expect(Math.abs(aspect / n - want.meanAspect)).toBeLessThan(0.01);
    expect(Math.abs(accepted / n - want.pAccept)).toBeLessThan(0.015);
    expect(whole / n).toBeLessThan(1e-3); // (1 - pAccept)^10 is tiny
  });

  it('trainCropBox - falls back to the center crop when no attempt fits (1000x10 picture)', () => {
    // Any aspect in [3/4, 4/3] gives at most 13x10 = 0.013 of the area, below 0.08: all 10 attempts fail.
    const { box, fallback } = trainCropBox(1000, 10, 224, createRng(1));
    expect(fallback).toBe(true);
    expect(box).toEqual({ top: 1, left: 496, height: 8, width: 8 }); // side int(224/256 * 10) = 8
  });

  it('centerCropBox - exact geometry of the padded center crop', () => {
    // 500x375 at 224: side int(0.875 * 375) = 328, offsets ((375-328)+1)//2 = 24, ((500-328)+1)//2 = 86.
    expect(centerCropBox(500, 375, 224)).toEqual({ top: 24, left: 86, height: 328, width: 328 });
    // 640x480 at 380 (B4): side int(380/412 * 480) = 442, offsets 19 and 99.
    expect(centerCropBox(640, 480, 380)).toEqual({ top: 19, left: 99, height: 442, width: 442 });
    expect(centerCropBox(256, 256, 224)).toEqual({ top: 16, left: 16, height: 224, width: 224 });
  });

  it('trainCropBox - is a function of the seed', () => {
    const boxes = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => trainCropBox(500, 375, 224, rng).box);
    };
    expect(boxes(3)).toEqual(boxes(3));
    expect(boxes(3)).not.toEqual(boxes(4));
  });

  /** An Rng whose int(n) is always its lowest or highest value, recording every call. */
  const pinned = (end: 'low' | 'high', next = 0.5) => {
    const calls: string[] = [];
    const rng = {
      next: () => (calls.push('next'), next),
      int: (n: number) => (calls.push(`int(${n})`), end === 'low' ? 0 : n - 1),
    } as unknown as Rng;
    return { rng, calls };
  };
  const A = Math.fround(4 / 3);

  it('generateRandomCrop - a wide aspect on a narrow picture caps the height so the width fits (100x400, 4/3)', () => {
    // By hand: minPx 3200 -> h = lrint(sqrt(3200 / (4/3))) = 49; maxPx 40000 -> maxH = lrint(173.2) = 173,
    // but lrint(173 * 4/3) = 231 > 100 -> maxH = trunc(100.5 / (4/3)) = 75 (lrint(75 * 4/3) = 100 fits).
    const high = pinned('high');
    expect(generateRandomCrop(100, 400, 0.08, 1, A, high.rng)).toEqual({ top: 324, left: 0, height: 75, width: 100 });
    // h in [49, 75]: 27 values; the width is the picture's, so no left offset is drawn
    expect(high.calls).toEqual(['int(27)', 'int(325)']);
    // lowest h = 49: w = lrint(65.3) = 65, area 3185 < 3200 -> repaired to h = 50, w = 67
    expect(generateRandomCrop(100, 400, 0.08, 1, A, pinned('low').rng)).toEqual({
      top: 0,
      left: 0,
      height: 50,
      width: 67,
    });
  });

  it('generateRandomCrop - float32 rounding past the width is repaired one height down (7x100, aspect 3/4)', () => {
    // maxH = trunc(f32(7.4999999 / 0.75)) = trunc(10.0 in float32) = 10, but lrint(10 * 0.75) =
    // lrint(7.5) = 8 > 7 (ties to even), so maxH = 9; the minimum height lrint(sqrt(56 / 0.75)) = 9
    // is then the only one: w = lrint(6.75) = 7, no draws but the top offset.
    const one = pinned('high');
    expect(generateRandomCrop(7, 100, 0.08, 1, 0.75, one.rng)).toEqual({ top: 90, left: 0, height: 9, width: 7 });
    expect(one.calls).toEqual(['int(91)']);
  });

  it('generateRandomCrop - an area just over the maximum is repaired one step down (100x100, area <= 0.1)', () => {
    // minPx 800 -> h = lrint(28.28) = 28; maxPx 1000 -> maxH = lrint(31.62) = 32; h = 32 gives 1024 > 1000 -> 31
    expect(generateRandomCrop(100, 100, 0.08, 0.1, 1, pinned('high').rng)).toEqual({
      top: 68,
      left: 68,
      height: 31,
      width: 31,
    });
  });

  it('generateRandomCrop - the repair keeps the aspect: width from the new height times it (aspect 3/4)', () => {
    // maxPx 1000: maxH = lrint(sqrt(1000 / 0.75)) = lrint(36.5) = 37, w = lrint(27.75) = 28, area 1036 > 1000
    // -> h = 36, w = lrint(36 * 0.75) = 27, area 972
    expect(generateRandomCrop(100, 100, 0.08, 0.1, 0.75, pinned('high').rng)).toEqual({
      top: 63,
      left: 72,
      height: 36,
      width: 27,
    });
  });

  it('generateRandomCrop - no height draw when only one height fits, no offset draw when the crop spans the side', () => {
    // area [0.5, 0.51] of 100x100: h = lrint(70.7) = 71 = maxH = lrint(71.4): one height, no draw
    const one = pinned('high');
    expect(generateRandomCrop(100, 100, 0.5, 0.51, 1, one.rng)).toEqual({ top: 28, left: 28, height: 71, width: 71 });
    expect(one.calls).toEqual(['int(29)', 'int(29)']);
    const whole = pinned('high');
    expect(generateRandomCrop(100, 100, 1, 1, 1, whole.rng)).toEqual({ top: 0, left: 0, height: 100, width: 100 });
    expect(whole.calls).toEqual([]);
  });

  it('generateRandomCrop - impossible constraints give null', () => {
    const rng = createRng(0);
    expect(generateRandomCrop(100, 100, 0.5, 0.4, 1, rng)).toBeNull(); // min area above max
    expect(generateRandomCrop(100, 100, -1, -0.5, 1, rng)).toBeNull(); // no positive area
    expect(generateRandomCrop(100, 100, 0.08, 1, -1, rng)).toBeNull(); // negative aspect
    expect(generateRandomCrop(0, 100, 0.08, 1, 1, rng)).toBeNull();
    expect(generateRandomCrop(100, -5, 0.08, 1, 1, rng)).toBeNull();
    expect(generateRandomCrop(100, 10, 0.5, 1, 1, rng)).toBeNull(); // 500 px cannot fit 10 rows at aspect 1
  });

  it('sampleDistortedBox - tries exactly maxAttempts aspects; a crop covering exactly the minimum is accepted', () => {
    const failing = pinned('high');
    expect(sampleDistortedBox(1000, 10, INCEPTION_CROP, failing.rng)).toEqual({
      top: 0,
      left: 0,
      height: 10,
      width: 1000,
    });
    expect(failing.calls.filter((c) => c === 'next')).toHaveLength(10);
    // area 9 of 100 with minObjectCovered 0.09: accepted, not the whole picture
    const o = { area: [0.09, 0.09] as const, aspect: [1, 1] as const, minObjectCovered: 0.09, maxAttempts: 1 };
    expect(sampleDistortedBox(10, 10, o, pinned('low').rng)).toEqual({ top: 0, left: 0, height: 3, width: 3 });
    expect(sampleDistortedBox(10, 10, { ...o, minObjectCovered: 0.1 }, pinned('low').rng)).toEqual({
      top: 0,
      left: 0,
      height: 10,
      width: 10,
    });
  });

  it('trainCropBox - a crop as wide as the picture but not as tall is a crop, not the fallback', () => {
    const o = { area: [0.08, 1] as const, aspect: [A, A] as const, minObjectCovered: 0.1, maxAttempts: 1 };
    expect(trainCropBox(100, 400, 64, pinned('high').rng, o)).toEqual({
      box: { top: 324, left: 0, height: 75, width: 100 },
      fallback: false,
    });
    // and as tall as the picture but narrower (400x100 at aspect 3/4: h = 100, w = 75)
    const tall = { ...o, aspect: [0.75, 0.75] as const };
    expect(trainCropBox(400, 100, 64, pinned('high').rng, tall)).toEqual({
      box: { top: 0, left: 324, height: 100, width: 75 },
      fallback: false,
    });
  });
});
