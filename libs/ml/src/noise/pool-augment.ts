// RandAugment as the input pool's per-thread augmentation hook: the pool crops, resizes and
// flips; this adds the N ops at magnitude M after them, as the original's ImageNet preprocessing.
// Worker threads load this file by its URL (`poolAugmentModule`) and call `poolRandAugment`.
import type { Rng } from '@noisy/core';
import type { Image } from '@noisy/data';
import { randAugment, randAugmentConstants } from './randaugment.js';

export interface PoolAugmentOptions {
  /** null = no RandAugment (crop and flip only). */
  randAugment: { layers: number; magnitude: number; cutoutOp: boolean } | null;
}

/** This module's URL, for `InputPoolOptions.augment.module`. */
export const poolAugmentModule: string = import.meta.url;

export function poolRandAugment(o: PoolAugmentOptions): (img: Image, rng: Rng) => Image {
  const ra = o.randAugment;
  if (!ra || ra.layers === 0) return (img) => img;
  return (img, rng) => randAugment(img, { ...ra, ...randAugmentConstants(Math.min(img.height, img.width)) }, rng);
}
