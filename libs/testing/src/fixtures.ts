// Shared fixtures: a tiny experiment that runs every stage in seconds.
import { compileExperiment } from '@noisy/core';

/** Teacher + 2 generations on tiny synthetic images: seconds, not minutes. */
export const tinyExperiment = (overrides: Record<string, unknown> = {}) =>
  compileExperiment({
    name: 'tiny',
    seed: 3,
    data: {
      source: { kind: 'synthetic', classes: 4, size: 12, train: 240, test: 80 },
      labeledPerClass: 10,
      unlabeledShards: 3,
    },
    train: { epochs: 12, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false },
    teacher: { model: { name: 'cnn-small', width: 0.5 } },
    students: [
      {
        model: { name: 'cnn-small', width: 0.5 },
        train: { unlabelRatio: 2, randAugment: { layers: 1, magnitude: 2, extraCutout: false } },
      },
      {
        model: { name: 'cnn-small', width: 0.75 },
        train: { unlabelRatio: 2, randAugment: { layers: 1, magnitude: 2, extraCutout: false } },
      },
    ],
    ...overrides,
  });
