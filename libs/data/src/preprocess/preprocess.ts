// ImageNet-style preprocessing of one encoded picture, as the original does it: training = random
// distorted crop (or center-crop fallback), bicubic resize to the model's resolution, random
// horizontal flip, then an optional augmentation hook (RandAugment lives in @noisy/ml's noise);
// evaluation and prediction = center crop with crop padding 32, bicubic resize. Pixels stay uint8
// until `normaliseInto` writes them into a batch; the `...Into` forms write a plain JPEG's crop
// straight into the batch as floats through libjpeg-turbo (jpeg-native.ts) when nothing augments it.
import type { Rng } from '@noisy/core';
import { DEFAULT_MAX_PIXELS, cropResizePicture, readPictureHeader, type Box, type Where } from '../decode-image.js';
import type { Image } from '../image.js';
import { nativeCropInto } from '../jpeg-native.js';
import { CROP_PADDING, INCEPTION_CROP, centerCropBox, trainCropBox, type DistortedBoxOptions } from './crop-box.js';

/** Augmentation after crop and flip (same shape as @noisy/ml's ImageNoise). */
export type ImageAugment = (img: Image, rng: Rng) => Image;

export interface PreprocessOptions {
  /** Output side in pixels (the model's resolution, e.g. 224 for EfficientNet-B0). */
  readonly resolution: number;
  /** Refuse pictures whose header says more pixels than this. */
  readonly maxPixels?: number;
}

export interface TrainPreprocessOptions extends PreprocessOptions {
  /** @default INCEPTION_CROP */
  readonly crop?: DistortedBoxOptions;
  /** Random horizontal flip with probability 1/2. @default true */
  readonly flip?: boolean;
  readonly augment?: ImageAugment;
}

/** What training preprocessing did to one picture (for tests and statistics). */
export interface Preprocessed {
  readonly image: Image;
  readonly box: Box;
  readonly flipped: boolean;
  readonly fallback: boolean;
}

/** The random choices of one training picture, drawn in a fixed order: crop, then flip. */
async function planTrain(bytes: Uint8Array, where: Where, o: TrainPreprocessOptions, rng: Rng) {
  const header = await readPictureHeader(bytes, { where, maxPixels: o.maxPixels });
  const { box, fallback } = trainCropBox(header.width, header.height, o.resolution, rng, o.crop ?? INCEPTION_CROP);
  const flipped = (o.flip ?? true) && rng.next() < 0.5;
  return { header, box, fallback, flipped, size: { height: o.resolution, width: o.resolution } };
}

/** Training preprocessing of one picture. Draws from `rng` in a fixed order: crop, flip, augment. */
export async function preprocessForTrain(
  bytes: Uint8Array,
  where: Where,
  o: TrainPreprocessOptions,
  rng: Rng,
): Promise<Preprocessed> {
  const { header, box, fallback, flipped, size } = await planTrain(bytes, where, o, rng);
  const image = await cropResizePicture(bytes, { where, box, size, flip: flipped, header, maxPixels: o.maxPixels });
  return { image: o.augment ? o.augment(image, rng) : image, box, flipped, fallback };
}

/**
 * `preprocessForTrain` then `normaliseInto(…, stats, out, offset)`, with the same random draws. A
 * plain JPEG without augmentation goes from its bytes to floats in `out` in one native call.
 */
export async function preprocessForTrainInto(
  bytes: Uint8Array,
  where: Where,
  o: TrainPreprocessOptions,
  rng: Rng,
  stats: ChannelStats,
  out: Float32Array,
  offset: number,
): Promise<void> {
  const { header, box, flipped, size } = await planTrain(bytes, where, o, rng);
  const crop = { where, box, size, flip: flipped, channels: 3 as const, maxPixels: o.maxPixels ?? DEFAULT_MAX_PIXELS };
  if (!o.augment && nativeCropInto(bytes, crop, out, offset, lutOf(stats, 3))) return;
  const image = await cropResizePicture(bytes, { where, box, size, flip: flipped, header, maxPixels: o.maxPixels });
  normaliseInto(o.augment ? o.augment(image, rng) : image, stats, out, offset);
}

/** Evaluation / prediction preprocessing: the padded center crop, resized. Deterministic. */
export async function preprocessForEval(
  bytes: Uint8Array,
  where: Where,
  o: PreprocessOptions & { readonly cropPadding?: number },
): Promise<Image> {
  const header = await readPictureHeader(bytes, { where, maxPixels: o.maxPixels });
  const box = centerCropBox(header.width, header.height, o.resolution, o.cropPadding ?? CROP_PADDING);
  const size = { height: o.resolution, width: o.resolution };
  return cropResizePicture(bytes, { where, box, size, header, maxPixels: o.maxPixels });
}

/** `preprocessForEval` then `normaliseInto(…, stats, out, offset)`; one native call for a plain JPEG. */
export async function preprocessForEvalInto(
  bytes: Uint8Array,
  where: Where,
  o: PreprocessOptions & { readonly cropPadding?: number },
  stats: ChannelStats,
  out: Float32Array,
  offset: number,
): Promise<void> {
  const header = await readPictureHeader(bytes, { where, maxPixels: o.maxPixels });
  const box = centerCropBox(header.width, header.height, o.resolution, o.cropPadding ?? CROP_PADDING);
  const size = { height: o.resolution, width: o.resolution };
  const crop = { where, box, size, channels: 3 as const, maxPixels: o.maxPixels ?? DEFAULT_MAX_PIXELS };
  if (nativeCropInto(bytes, crop, out, offset, lutOf(stats, 3))) return;
  normaliseInto(
    await cropResizePicture(bytes, { where, box, size, header, maxPixels: o.maxPixels }),
    stats,
    out,
    offset,
  );
}

/** Per-channel mean and std on the 0..1 scale (as @noisy/ml's InputStats). */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** The original's ImageNet normalisation: (x - 255 mean) / (255 std). */
export const IMAGENET_STATS: ChannelStats = Object.freeze({
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
});

// One table per stats object: a lookup per value instead of a multiply-add in float64, built once
// (rebuilding it per picture was a tenth of the normalising time).
const tables = new WeakMap<ChannelStats, Float32Array>();
function lutOf(stats: ChannelStats, channels: number): Float32Array {
  let lut = tables.get(stats);
  if (!lut || lut.length < 256 * channels) {
    lut = new Float32Array(256 * Math.max(channels, stats.mean.length));
    for (let k = 0; k < lut.length / 256; k++)
      for (let v = 0; v < 256; v++) lut[k * 256 + v] = (v / 255 - stats.mean[k]) / stats.std[k];
    tables.set(stats, lut);
  }
  return lut;
}

/** Write (v / 255 - mean) / std of every pixel into `out` from `offset` (HWC order). */
export function normaliseInto(img: Image, stats: ChannelStats, out: Float32Array, offset: number): void {
  const c = img.channels;
  const lut = lutOf(stats, c);
  const d = img.data;
  if (c === 3) {
    for (let j = 0; j < d.length; j += 3) {
      out[offset + j] = lut[d[j]];
      out[offset + j + 1] = lut[256 + d[j + 1]];
      out[offset + j + 2] = lut[512 + d[j + 2]];
    }
  } else {
    for (let j = 0; j < d.length; j++) out[offset + j] = lut[(j % c) * 256 + d[j]];
  }
}
