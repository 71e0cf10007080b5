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

/** Train a fresh model (seeded init) on 8 labeled 10s and 8 unlabeled 200s; returns it undisposed. */
async function trainTiny(overrides: Partial<Parameters<typeof trainModel>[0]> = {}) {
  const model = buildModel(e.stages[1].model, { inputShape: [6, 6, 1], classes: 2 }, 1);
  const before = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
  await trainModel({
    model,
    labeled: { set: images(8, 10), labels: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]) },
    unlabeled: { set: images(8, 200), probabilities: new Float32Array(16).fill(0.5) },
    classes: 2,
    stats: { mean: [0.5], std: [0.25] },
    train: e.stages[1].train,
    pseudoLabels: e.pseudoLabels,
    noise: {},
    rng: createRng(0),
    ...overrides,
  });
  return { model, before };
}

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
  const { model } = await trainTiny({
    noise: { image: count },
    ...(withUnlabeledNoise ? { unlabeledNoise: { image: unlabeledNoise } } : {}),
  });
  model.dispose();
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

  // The trained model must hold the EMA of its weights, not the last step's (spec §3.4: evaluation
  // and prediction use the EMA). With decay 0 the EMA is the raw weights, so runs of 1 and 2 steps
  // give w1 and w2; with decay 0.9999 the warm-up gives d_0 = 1/10, d_1 = 2/11:
  //   ema = (2/11) (0.1 w0 + 0.9 w1) + (9/11) w2
  it('trainer - the trained model ends with the EMA weights', async () => {
    const trainable = async (steps: number, emaDecay: number) => {
      const { model, before } = await trainTiny({
        train: { ...e.stages[1].train, steps, emaDecay, warmupEpochs: 0, learningRate: 1 },
      });
      const w = model.trainableWeights.map((v) => Array.from(v.read().dataSync()));
      model.dispose();
      return { w0: before, w };
    };
    const { w0, w: w1 } = await trainable(1, 0);
    const { w: w2 } = await trainable(2, 0);
    const { w: ema } = await trainable(2, 0.9999);
    let moved = 0;
    ema.forEach((layer, i) =>
      layer.forEach((v, j) => {
        moved = Math.max(moved, Math.abs(w2[i][j] - w0[i][j]));
        expect(v).toBeCloseTo((2 / 11) * (0.1 * w0[i][j] + 0.9 * w1[i][j]) + (9 / 11) * w2[i][j], 4);
      }),
    );
    expect(moved).toBeGreaterThan(1e-3); // training moved the weights, so raw and EMA differ
  });
});
