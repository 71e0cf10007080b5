// Crop geometry of the original's ImageNet preprocessing (tensorflow/tpu efficientnet
// preprocessing.py, used by google-research/noisystudent):
//  - training: tf.image.sample_distorted_bounding_box over the whole picture (area 0.08-1,
//    aspect w/h 3/4-4/3, min_object_covered 0.1, 10 attempts), the whole picture when every
//    attempt fails, and then the center crop when the sample is the whole picture;
//  - evaluation: a square center crop of side res/(res+32) * min(h, w).
// GenerateRandomCrop below follows TensorFlow's sample_distorted_bounding_box_op.cc step by step
// (integer heights drawn uniformly, lrintf rounding, the +-1 area repairs), with our seeded Rng.
import type { Rng } from '@noisy/core';
import type { Box } from '../decode-image.js';

export interface DistortedBoxOptions {
  /** Fraction of the picture's area the crop may cover. @default [0.08, 1] */
  readonly area: readonly [number, number];
  /** Crop width / height. @default [3/4, 4/3] */
  readonly aspect: readonly [number, number];
  /** The crop must cover at least this fraction of the whole picture (the original's bbox). @default 0.1 */
  readonly minObjectCovered: number;
  /** @default 10 */
  readonly maxAttempts: number;
}

export const INCEPTION_CROP: DistortedBoxOptions = Object.freeze({
  area: [0.08, 1] as const,
  aspect: [3 / 4, 4 / 3] as const,
  minObjectCovered: 0.1,
  maxAttempts: 10,
});

/** The original's eval crop padding: the center crop keeps res/(res+32) of the shorter side. */
export const CROP_PADDING = 32;

const f32 = Math.fround;

/** C's lrintf: round to nearest, ties to even. */
export function lrint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One attempt of TensorFlow's GenerateRandomCrop for a given aspect ratio; null when the constraints cannot be met. */
export function generateRandomCrop(
  width: number,
  height: number,
  minArea: number,
  maxArea: number,
  aspect: number,
  rng: Rng,
): Box | null {
  if (maxArea <= 0 || aspect <= 0 || width <= 0 || height <= 0 || minArea > maxArea) return null;
  const minPx = f32(minArea * width * height);
  const maxPx = f32(maxArea * width * height);
  let h = lrint(f32(Math.sqrt(f32(minPx / aspect))));
  let maxH = lrint(f32(Math.sqrt(f32(maxPx / aspect))));
  if (lrint(f32(maxH * aspect)) > width) {
    // The smallest max height with round(maxH * aspect) <= width.
    maxH = Math.trunc(f32((width + 0.5 - 1e-7) / aspect));
    if (lrint(f32(maxH * aspect)) > width) maxH -= 1;
  }
  if (maxH > height) maxH = height;
  if (h >= maxH) h = maxH;
  if (h < maxH) h += rng.int(maxH - h + 1); // uniform in [h, maxH]
  let w = lrint(f32(h * aspect));
  let area = w * h;
  // Rounding can leave the area just outside [minPx, maxPx]: one step each way, as TensorFlow does.
  if (area < minPx) {
    h += 1;
    w = lrint(f32(h * aspect));
    area = w * h;
  }
  if (area > maxPx) {
    h -= 1;
    w = lrint(f32(h * aspect));
    area = w * h;
  }
  if (area < minPx || area > maxPx || w > width || h > height || w <= 0 || h <= 0) return null;
  const top = h < height ? rng.int(height - h) : 0; // TensorFlow's Uniform(n) is [0, n): never flush with the bottom
  const left = w < width ? rng.int(width - w) : 0;
  return { top, left, height: h, width: w };
}

/**
 * sample_distorted_bounding_box with the whole picture as the object box: up to `maxAttempts`
 * (aspect drawn uniformly, then a crop); the whole picture when no attempt satisfies the constraints.
 */
export function sampleDistortedBox(width: number, height: number, o: DistortedBoxOptions, rng: Rng): Box {
  for (let i = 0; i < o.maxAttempts; i++) {
    const aspect = f32(rng.next() * (o.aspect[1] - o.aspect[0]) + o.aspect[0]);
    const box = generateRandomCrop(width, height, o.area[0], o.area[1], aspect, rng);
    // Crop area >= 1 and covering enough of the whole-picture object box.
    if (box && box.width * box.height >= 1 && (box.width * box.height) / (width * height) >= o.minObjectCovered)
      return box;
  }
  return { top: 0, left: 0, height, width };
}

/** The original's eval crop: square, side int(res/(res+padding) * min(h, w)), offsets ((h - side) + 1) // 2. */
export function centerCropBox(width: number, height: number, resolution: number, padding = CROP_PADDING): Box {
  const side = Math.trunc(f32(f32(resolution / (resolution + padding)) * Math.min(width, height)));
  return {
    top: Math.floor((height - side + 1) / 2),
    left: Math.floor((width - side + 1) / 2),
    height: side,
    width: side,
  };
}

/**
 * The training crop: a distorted box, or (as the original, when the sample is the whole picture,
 * which is also what every failed attempt gives) the eval center crop.
 */
export function trainCropBox(
  width: number,
  height: number,
  resolution: number,
  rng: Rng,
  o: DistortedBoxOptions = INCEPTION_CROP,
): { box: Box; fallback: boolean } {
  const box = sampleDistortedBox(width, height, o, rng);
  const whole = box.width === width && box.height === height;
  return whole ? { box: centerCropBox(width, height, resolution), fallback: true } : { box, fallback: false };
}
