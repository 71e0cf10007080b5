// RandAugment as the original codes it: N ops drawn uniformly (with repeats) from 16, each always
// applied at the fixed magnitude M through the level table of spec §4.2 (L = M / 10). The
// small-image variant (inputs of 32 px and below) uses cutout/translate constants of size/8, then
// an extra cutout of size/4 and a reflect-pad-4 random crop; larger images use the original's
// ImageNet constants (cutout 40, translate 100 px) whatever their size.
import type { Rng } from '@noisy/core';
import type { Image } from '@noisy/data';
import * as op from './image-ops.js';

export const RANDAUGMENT_OPS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'SolarizeAdd',
  'Cutout',
] as const;
export type RandAugmentOp = (typeof RANDAUGMENT_OPS)[number];

export interface RandAugmentOptions {
  layers: number;
  magnitude: number;
  cutoutOp: boolean;
  /** Pixels for Translate at L = 1 (original: 100 for ImageNet, size/8 for small images). */
  translateConst: number;
  /** Cutout half-size at L = 1 (original: 40 for ImageNet, size/8 for small images). */
  cutoutConst: number;
}

const signed = (v: number, rng: Rng) => (rng.next() < 0.5 ? -v : v);

/** Apply one op at magnitude M; random signs and cutout centres come from `rng`. */
export function applyOp(
  img: Image,
  name: RandAugmentOp,
  magnitude: number,
  o: Pick<RandAugmentOptions, 'translateConst' | 'cutoutConst'>,
  rng: Rng,
): Image {
  const L = magnitude / 10;
  const enhance = 1.8 * L + 0.1;
  switch (name) {
    case 'AutoContrast':
      return op.autoContrast(img);
    case 'Equalize':
      return op.equalize(img);
    case 'Invert':
      return op.invert(img);
    case 'Rotate':
      return op.rotate(img, signed(30 * L, rng));
    case 'Posterize':
      return op.posterize(img, Math.trunc(4 * L));
    case 'Solarize':
      return op.solarize(img, Math.trunc(256 * L));
    case 'SolarizeAdd':
      return op.solarizeAdd(img, Math.trunc(110 * L));
    case 'Color':
      return op.color(img, enhance);
    case 'Contrast':
      return op.contrast(img, enhance);
    case 'Brightness':
      return op.brightness(img, enhance);
    case 'Sharpness':
      return op.sharpness(img, enhance);
    case 'ShearX':
      return op.shearX(img, signed(0.3 * L, rng));
    case 'ShearY':
      return op.shearY(img, signed(0.3 * L, rng));
    case 'TranslateX':
      return op.translateX(img, signed(L * o.translateConst, rng));
    case 'TranslateY':
      return op.translateY(img, signed(L * o.translateConst, rng));
    case 'Cutout':
      return op.cutout(img, Math.trunc(L * o.cutoutConst), rng.int(img.height), rng.int(img.width));
    default: {
      const never: never = name;
      throw new Error(`unknown RandAugment op ${String(never)}`);
    }
  }
}

/** RandAugment(N, M) on one image. */
export function randAugment(img: Image, o: RandAugmentOptions, rng: Rng): Image {
  const ops = o.cutoutOp ? RANDAUGMENT_OPS.length : RANDAUGMENT_OPS.length - 1;
  let out = img;
  for (let i = 0; i < o.layers; i++) out = applyOp(out, RANDAUGMENT_OPS[rng.int(ops)], o.magnitude, o, rng);
  return out;
}

export interface TrainAugmentOptions {
  /** null = no RandAugment (pad-crop and flip only). */
  randAugment: { layers: number; magnitude: number; cutoutOp: boolean; extraCutout: boolean } | null;
  flip: boolean;
  /** Reflect-pad and random-crop back (the original always does this for small images). */
  padCrop: boolean;
}

/** Cutout and translate constants at L = 1: size/8 for small images, the original's ImageNet 40 / 100 px else. */
export function randAugmentConstants(size: number): Pick<RandAugmentOptions, 'cutoutConst' | 'translateConst'> {
  return size <= 32
    ? { cutoutConst: Math.floor(size / 8), translateConst: Math.floor(size / 8) }
    : { cutoutConst: 40, translateConst: 100 };
}

/** The training-time input noise of the original's preprocessing for an image of any size. */
export function augmentForTraining(img: Image, o: TrainAugmentOptions, rng: Rng): Image {
  const size = Math.min(img.height, img.width);
  const small = size <= 32;
  let out = img;
  if (o.randAugment) {
    out = randAugment(out, { ...o.randAugment, ...randAugmentConstants(size) }, rng);
    if (small && o.randAugment.extraCutout)
      out = op.cutout(out, Math.floor(size / 4), rng.int(out.height), rng.int(out.width));
  }
  if (o.flip && rng.next() < 0.5) out = op.flipHorizontal(out);
  if (!o.padCrop) return out;
  const pad = small ? 4 : Math.max(1, Math.round(size / 8));
  return op.padCrop(out, pad, rng.int(2 * pad + 1), rng.int(2 * pad + 1));
}
