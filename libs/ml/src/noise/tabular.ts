// Input noise for tabular rows, in place of RandAugment: Gaussian noise on every feature and swap
// noise (each feature replaced, with probability `swap`, by the same feature of a random row).
import type { Rng } from '@noisy/core';
import type { TabularSet } from '../input.js';

export interface TabularNoiseOptions {
  gaussian: number;
  swap: number;
}

/** Noise one row of raw features; `scale` gives each feature's std so that noise is relative. */
export function tabularNoise(
  o: TabularNoiseOptions,
  scale: number[],
): (row: Float32Array, rng: Rng, set: TabularSet) => Float32Array {
  return (row, rng, set) => {
    const d = row.length;
    const out = Float32Array.from(row);
    for (let j = 0; j < d; j++) {
      if (o.swap > 0 && rng.next() < o.swap) out[j] = set.features[rng.int(set.count) * d + j];
      if (o.gaussian > 0) out[j] += o.gaussian * scale[j] * rng.normal();
    }
    return out;
  };
}
