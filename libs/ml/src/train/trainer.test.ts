// The trainer's noise routing: labeled images get `noise`, pseudo-labeled images `unlabeledNoise`
// when given (train.unlabeledRandAugment), else the same noise as the original applies.
import { beforeAll, describe, expect, it } from 'vitest';
import { compileExperiment, createRng } from '@noisy/core';
import { selectBackend } from '../backend.js';
import type { ImageNoise, ImageSet } from '../input.js';
import { buildModel } from '../models/registry.js';
import { trainModel } from './trainer.js';

const e = compileExperiment({
  data: { source: { kind: 'synthetic' } },
  train: { steps: 2, batchSize: 4, unlabelRatio: 1.5, randAugment: null },
  students: [{}],
});
const images = (count: number, value: number): ImageSet => ({
  kind: 'image',
  count,
  shape: [6, 6, 1],
  pixels: new Uint8Array(count * 36).fill(value),
});

async function countNoise(withUnlabeledNoise: boolean) {
  const seen = { labeled: 0, unlabeled: 0, byUnlabeledNoise: 0 };
  // labeled images are 10s, unlabeled 200s: the noise functions see which part an image is from
  const count: ImageNoise = (img) => {
    seen[img.data[0] === 10 ? 'labeled' : 'unlabeled']++;
    return img;
  };
  const unlabeledNoise: ImageNoise = (img) => {
    if (img.data[0] === 200) seen.byUnlabeledNoise++;
    return img;
  };
  const model = buildModel(e.stages[1].model, { inputShape: [6, 6, 1], classes: 2 }, 1);
  try {
    await trainModel({
      model,
      labeled: { set: images(8, 10), labels: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]) },
      unlabeled: { set: images(8, 200), probabilities: new Float32Array(16).fill(0.5) },
      classes: 2,
      stats: { mean: [0.5], std: [0.25] },
      train: e.stages[1].train,
      pseudoLabels: e.pseudoLabels,
      noise: { image: count },
      ...(withUnlabeledNoise ? { unlabeledNoise: { image: unlabeledNoise } } : {}),
      rng: createRng(0),
    });
  } finally {
    model.dispose();
  }
  return seen;
}

describe('trainer noise', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('trainer - pseudo-labeled images get the unlabeled noise when one is given, else the same noise', async () => {
    // 2 steps of B = 4 labeled and U = ceil(4 * 1.5) = 6 unlabeled images
    expect(await countNoise(false)).toEqual({ labeled: 8, unlabeled: 12, byUnlabeledNoise: 0 });
    expect(await countNoise(true)).toEqual({ labeled: 8, unlabeled: 0, byUnlabeledNoise: 12 });
  });
});
