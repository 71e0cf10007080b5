// In-training checkpoints: a run stopped midway and resumed from its last checkpoint ends with
// the same weights, bit for bit, as a run that was never stopped (weights, EMA, optimiser slots,
// data order, per-step noise, dropout seeds and batch-norm warm-up all continue where they were).
import * as tf from '@tensorflow/tfjs';
import { compileExperiment, createRng } from '@noisy/core';
import { MemoryObjectStore } from '@noisy/platform';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import type { TabularSet } from '../input.js';
import { buildModel } from '../models/registry.js';
import { trainModel } from './trainer.js';
import type { TrainCheckpointing } from './train-state.js';

const stage = compileExperiment({
  data: { source: { kind: 'table', train: 'rows.csv' } },
  teacher: { model: { name: 'mlp', hidden: [24], dropout: 0.3 } },
  students: [{ model: { name: 'mlp' } }],
  train: { steps: 9, batchSize: 8, learningRate: 0.05, warmupEpochs: 0, emaDecay: 0.9 },
}).stages[0];

function table(n: number, seed: number): TabularSet {
  const rng = createRng(seed);
  return { kind: 'tabular', count: n, shape: [6], features: Float32Array.from({ length: n * 6 }, () => rng.normal()) };
}
const labeled = table(20, 1);
const labels = Int32Array.from({ length: 20 }, (_, i) => (labeled.features[i * 6] > 0 ? 1 : 0));
const unlabeled = table(30, 2);
const probabilities = Float32Array.from({ length: 60 }, (_, i) => (i % 2 ? 0.7 : 0.3));

async function run(checkpoints?: TrainCheckpointing, stopAfter = Infinity) {
  const model = buildModel(stage.model, { inputShape: [6], classes: 2 }, 3);
  let calls = 0;
  const result = await trainModel({
    model,
    labeled: { set: labeled, labels },
    unlabeled: { set: unlabeled, probabilities },
    classes: 2,
    stats: { mean: new Array(6).fill(0), std: new Array(6).fill(1) },
    train: { ...stage.train, unlabelRatio: 1.5 },
    pseudoLabels: { kind: 'soft', temperature: 1 },
    noise: { row: (row, rng) => row.map((v) => v + 0.1 * rng.normal()) },
    rng: createRng(7),
    checkpoints,
    shouldStop: () => ++calls > stopAfter,
  });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return { result, weights };
}

describe('in-training checkpoints', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('train state - a run resumed from its last checkpoint equals an uninterrupted one bit for bit', async () => {
    const before = tf.memory().numTensors;
    const whole = await run();
    const store = new MemoryObjectStore();
    const ckpt = { store, prefix: 'runs/r/gen-1/train-state', everySteps: 3, fingerprint: 'cfg-1' };
    const stopped = await run(ckpt, 5); // killed after step 5: the last checkpoint is step 3
    expect(stopped.result.steps).toBe(5);
    const resumed = await run(ckpt);
    expect(resumed.result.resumedFrom).toBe(3);
    expect(resumed.result.steps).toBe(6);
    expect(resumed.weights).toEqual(whole.weights);
    expect(stopped.weights).not.toEqual(whole.weights);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('train state - only the last two committed checkpoints stay, and another config never resumes from them', async () => {
    const store = new MemoryObjectStore();
    await run({ store, prefix: 'p', everySteps: 2, fingerprint: 'cfg-1' });
    const keys = await store.list('p/');
    expect(keys).toEqual([
      'p/step-00000006/manifest.json',
      'p/step-00000006/state.bin',
      'p/step-00000008/manifest.json',
      'p/step-00000008/state.bin',
    ]);
    const other = await run({ store, prefix: 'p', everySteps: 2, fingerprint: 'cfg-2' });
    expect(other.result.resumedFrom).toBe(0);
  });

  it('train state - a time-based interval checkpoints once the interval has passed', async () => {
    const store = new MemoryObjectStore();
    const seen: number[] = [];
    // 1e-9 minutes: due after every step (never after the last: the step's result follows).
    await run({ store, prefix: 't', everyMinutes: 1e-9, fingerprint: 'f', onCheckpoint: (s) => seen.push(s) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await store.list('t/')).filter((k) => k.endsWith('manifest.json'))).toEqual([
      't/step-00000007/manifest.json',
      't/step-00000008/manifest.json',
    ]);
  });

  it('train state - a checkpoint without its manifest is unfinished and ignored', async () => {
    const store = new MemoryObjectStore();
    const ckpt = { store, prefix: 'q', everySteps: 4, fingerprint: 'f' };
    await run(ckpt, 6); // checkpoint at step 4
    await store.delete('q/step-00000004/manifest.json');
    const again = await run(ckpt);
    expect(again.result.resumedFrom).toBe(0);
  });
});
