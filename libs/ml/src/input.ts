// Model inputs: packed example sets (uint8 images or float feature rows), normalisation
// statistics, and batches assembled into one Float32Array -> one tensor.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@noisy/core';
import type { Image } from '@noisy/data';

/** Images packed as one uint8 buffer: [count, H, W, C]. */
export interface ImageSet {
  kind: 'image';
  count: number;
  shape: [number, number, number];
  pixels: Uint8Array;
}
/** Tabular rows packed as one float buffer: [count, D]. */
export interface TabularSet {
  kind: 'tabular';
  count: number;
  shape: [number];
  features: Float32Array;
}
export type InputSet = ImageSet | TabularSet;

/** Per-channel (images, on the 0..1 scale) or per-feature (tabular) mean and std. */
export interface InputStats {
  mean: number[];
  std: number[];
}

/** Noise applied to one example before it enters a batch; null = clean. */
export type ImageNoise = (img: Image, rng: Rng) => Image;
export type RowNoise = (row: Float32Array, rng: Rng, set: TabularSet) => Float32Array;
export interface InputNoise {
  image?: ImageNoise;
  row?: RowNoise;
}

export function imageAt(set: ImageSet, i: number): Image {
  const [h, w, c] = set.shape;
  const n = h * w * c;
  return { height: h, width: w, channels: c, data: set.pixels.subarray(i * n, (i + 1) * n) };
}

export const exampleSize = (set: InputSet): number => set.shape.reduce((a, b) => a * b, 1);

/** Per-channel statistics of an image set (or per-feature of a tabular one), over at most `limit` examples. */
export function computeStats(set: InputSet, limit = 10_000): InputStats {
  const n = Math.min(set.count, limit);
  const ch = set.kind === 'image' ? set.shape[2] : set.shape[0];
  const sum = new Float64Array(ch),
    sq = new Float64Array(ch);
  const size = exampleSize(set);
  const data = set.kind === 'image' ? set.pixels : set.features;
  const scale = set.kind === 'image' ? 1 / 255 : 1;
  for (let i = 0; i < n * size; i++) {
    const v = data[i] * scale;
    sum[i % ch] += v;
    sq[i % ch] += v * v;
  }
  const per = n * (size / ch);
  const mean = Array.from(sum, (s) => s / per);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(s / per - mean[c] ** 2, 1e-12)));
  return { mean, std: std.map((s) => Math.max(s, 1e-3)) };
}

/**
 * Write examples `indices` of each part into one normalised [N, ...shape] tensor, applying the
 * part's noise (if any) per example. Parts are concatenated in order: [labeled; unlabeled].
 */
export function makeBatch(
  parts: Array<{ set: InputSet; indices: ArrayLike<number>; noise?: InputNoise }>,
  stats: InputStats,
  rng: Rng,
): tf.Tensor {
  const shape = parts[0].set.shape;
  const size = exampleSize(parts[0].set);
  const total = parts.reduce((a, p) => a + p.indices.length, 0);
  const out = new Float32Array(total * size);
  const ch = stats.mean.length;
  // Images: (v / 255 - mean) / std as one multiply-add per pixel, channel by channel.
  const scale = stats.std.map((s) => 1 / (255 * s));
  const shift = stats.mean.map((m, c) => -m / stats.std[c]);
  let row = 0;
  for (const { set, indices, noise } of parts) {
    for (let k = 0; k < indices.length; k++, row++) {
      const i = indices[k];
      const base = row * size;
      if (set.kind === 'image') {
        const data = (noise?.image ? noise.image(imageAt(set, i), rng) : imageAt(set, i)).data;
        for (let c = 0; c < ch; c++) {
          const a = scale[c],
            b = shift[c];
          for (let j = c; j < size; j += ch) out[base + j] = data[j] * a + b;
        }
      } else {
        const src = set.features.subarray(i * size, (i + 1) * size);
        const feat = noise?.row ? noise.row(src, rng, set) : src;
        for (let j = 0; j < size; j++) out[base + j] = (feat[j] - stats.mean[j]) / stats.std[j];
      }
    }
  }
  return tf.tensor(out, [total, ...shape]);
}
