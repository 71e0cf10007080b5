import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { tinyExperiment } from '@noisy/testing';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore } from '@noisy/platform';
import { runEmbedded } from './embedded.js';

describe('embedded run', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('embedded run - teacher and two students commit every manifest and beat chance', async () => {
    const store = new MemoryObjectStore();
    const before = tf.memory().numTensors;
    const summary = await runEmbedded({ store, experiment: tinyExperiment() });
    expect(summary.generations.map((g) => g.role)).toEqual(['teacher', 'student', 'student']);
    for (const g of summary.generations) expect(g.top1).toBeGreaterThan(0.8); // chance is 0.25
    expect(summary.generations[1].pseudoLabeled).toBeGreaterThan(0);
    const keys = await store.list(`runs/${summary.runId}/`);
    for (const g of [1, 2]) {
      expect(
        keys.filter((k) => k.startsWith(`runs/${summary.runId}/gen-${g}/predictions/`) && k.endsWith('.manifest.json')),
      ).toHaveLength(3);
      expect(keys).toContain(`runs/${summary.runId}/gen-${g}/filter/thresholds.manifest.json`);
    }
    expect(keys).toContain(`runs/${summary.runId}/summary.json`);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('online mode', () => {
  it('embedded run - online mode: the teacher labels batches inside training, no stored predictions', async () => {
    await selectBackend('wasm');
    const store = new MemoryObjectStore();
    const summary = await runEmbedded({
      store,
      experiment: tinyExperiment({
        mode: 'online',
        students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 2 } }],
      }),
    });
    expect(summary.generations[1].top1).toBeGreaterThan(0.8);
    expect(summary.generations[1].pseudoLabeled).toBe(200); // every unlabeled image, unfiltered
    expect(await store.list(`runs/${summary.runId}/gen-1/predictions/`)).toEqual([]);
  });
});
