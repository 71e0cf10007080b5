import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { compileExperiment } from '@noisy/core';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore } from '@noisy/platform';
import { runEmbedded } from './embedded.js';

/** Teacher + 2 generations on tiny synthetic images: seconds, not minutes. */
export const tinyExperiment = (overrides: Record<string, unknown> = {}) => compileExperiment({
  name: 'tiny', seed: 3,
  data: { source: { kind: 'synthetic', classes: 4, size: 12, train: 240, test: 80 }, labeledPerClass: 10, unlabeledShards: 3 },
  train: { epochs: 12, batchSize: 8, learningRate: 0.1, warmupEpochs: 1, randAugment: { layers: 1, magnitude: 3 } },
  teacher: { model: { name: 'cnn-small', width: 0.5 } },
  students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 2, epochs: 12 } }, { model: { name: 'cnn-small', width: 0.75 }, train: { unlabelRatio: 2, epochs: 12 } }],
  ...overrides,
});

describe('embedded run', () => {
  beforeAll(async () => { await selectBackend('wasm'); });

  it('embedded run - teacher and two students commit every manifest and beat chance', async () => {
    const store = new MemoryObjectStore();
    const before = tf.memory().numTensors;
    const summary = await runEmbedded({ store, experiment: tinyExperiment() });
    expect(summary.generations.map((g) => g.role)).toEqual(['teacher', 'student', 'student']);
    for (const g of summary.generations) expect(g.top1).toBeGreaterThan(0.45); // chance is 0.25
    expect(summary.generations[1].pseudoLabeled).toBeGreaterThan(0);
    const keys = await store.list(`runs/${summary.runId}/`);
    for (const g of [1, 2]) {
      expect(keys.filter((k) => k.startsWith(`runs/${summary.runId}/gen-${g}/predictions/`) && k.endsWith('.manifest.json'))).toHaveLength(3);
      expect(keys).toContain(`runs/${summary.runId}/gen-${g}/filter/thresholds.manifest.json`);
    }
    expect(keys).toContain(`runs/${summary.runId}/summary.json`);
    expect(tf.memory().numTensors).toBe(before);
  });
});
