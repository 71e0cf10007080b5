// The trainer with a batch provider (encoded pictures decoded in worker threads): every step is
// requested ahead, with the indices the loop itself draws (its seeded orders), and the time spent waiting
// for a batch is reported (in total, per epoch and in progress).
import { beforeAll, describe, expect, it } from 'vitest';
import { compileExperiment, createRng } from '@noisy/core';
import { selectBackend } from '../backend.js';
import type { ImageSet } from '../input.js';
import { IndexStream } from './index-stream.js';
import { buildModel } from '../models/registry.js';
import { trainModel, type BatchProvider, type EpochRecord, type TrainProgress, type TrainRequest } from './trainer.js';

const e = compileExperiment({
  data: { source: { kind: 'synthetic' } },
  train: { steps: 5, batchSize: 4, unlabelRatio: 0.5, randAugment: null },
  students: [{}],
});
const SHAPE: [number, number, number] = [6, 6, 1];
const labels = Int32Array.from({ length: 10 }, (_, i) => i % 2);

async function train(over: (r: TrainRequest) => TrainRequest) {
  const model = buildModel(e.stages[1].model, { inputShape: SHAPE, classes: 2 }, 1);
  try {
    const base: TrainRequest = {
      model,
      labeled: { set: { kind: 'image', count: 10, shape: SHAPE, pixels: new Uint8Array(360).fill(9) }, labels },
      unlabeled: {
        set: { kind: 'image', count: 7, shape: SHAPE, pixels: new Uint8Array(252).fill(99) } as ImageSet,
        probabilities: new Float32Array(14).fill(0.5),
      },
      classes: 2,
      stats: { mean: [0.5], std: [0.25] },
      train: e.stages[1].train,
      pseudoLabels: e.pseudoLabels,
      noise: {},
      rng: createRng(7),
    };
    return await trainModel(over(base));
  } finally {
    model.dispose();
  }
}

describe('trainer batch provider', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("trainer - a batch provider gets every step ahead with the loop's own indices, and waiting is counted", async () => {
    const requests: Array<{ step: number; lab: number[]; unl: number[] | null; at: number }> = [];
    let taken = 0;
    const released: number[] = [];
    const provider: BatchProvider = {
      release: () => released.push(taken),
      ahead: 3,
      request: (step, lab, unl) => requests.push({ step, lab: [...lab], unl: unl ? [...unl] : null, at: taken }),
      take: async (step) => {
        taken++;
        const r = requests.find((q) => q.step === step)!;
        await new Promise((res) => setTimeout(res, 20)); // decoding that falls behind
        return { input: new Float32Array((r.lab.length + r.unl!.length) * 36).fill(0.1) };
      },
    };
    const progress: TrainProgress[] = [];
    const epochs: EpochRecord[] = [];
    const withProvider = await train((r) => ({
      ...r,
      onProgress: (p) => progress.push(p),
      onEpoch: (rec) => epochs.push(rec),
      labeled: { set: { kind: 'external', count: 10, shape: SHAPE }, labels },
      unlabeled: { set: { kind: 'external', count: 7, shape: SHAPE }, probabilities: r.unlabeled!.probabilities },
      batches: provider,
    }));
    expect(requests.map((q) => q.step)).toEqual([0, 1, 2, 3, 4]);
    // steps 0..2 before the loop, step 3 as step 0 starts (nothing taken yet), step 4 as step 1 starts
    expect(requests.map((q) => q.at)).toEqual([0, 0, 0, 0, 1]);
    for (const q of requests) expect([q.lab.length, q.unl!.length]).toEqual([4, 2]);
    expect(withProvider.steps).toBe(5);
    // Each step's input is given back once, after that step (before the next is taken).
    expect(released).toEqual([1, 2, 3, 4, 5]);
    expect(withProvider.inputWaitSeconds).toBeGreaterThanOrEqual(0.08);
    // Progress and epochs report the wait: epochs of 3 and 2 steps, 20 ms or more per take.
    expect(epochs.map((x) => x.epoch)).toEqual([1, 2]);
    expect(epochs[0].inputWaitSeconds).toBeGreaterThanOrEqual(0.06);
    expect(epochs[1].inputWaitSeconds).toBeGreaterThanOrEqual(0.04);
    expect(epochs[0].inputWaitSeconds + epochs[1].inputWaitSeconds).toBeCloseTo(withProvider.inputWaitSeconds, 6);
    const last = progress.at(-1)!;
    expect(last.step).toBe(5);
    expect(last.inputWaitSeconds).toBe(withProvider.inputWaitSeconds);
    expect(last.inputWaitFraction).toBeGreaterThan(0);
    expect(last.inputWaitFraction).toBeLessThanOrEqual(1);
    expect(last.inputWaitFraction).toBeCloseTo(withProvider.inputWaitSeconds / withProvider.seconds, 1);

    // The indices are the loop's own: the seeded labeled and unlabeled orders.
    const lab = new IndexStream(10, createRng(7).fork('labeled-order'));
    const unl = new IndexStream(7, createRng(7).fork('unlabeled-order'));
    for (const q of requests) {
      expect(q.lab).toEqual([...lab.take(4)]);
      expect(q.unl).toEqual([...unl.take(2)]);
    }
  });

  it('trainer - teacher distributions that come with each batch train as the same stored ones do', async () => {
    // Distinct, uneven distributions per unlabeled example, so that using the wrong rows shows.
    const stored = Float32Array.from({ length: 14 }, (_, i) => (i % 2 ? 0.9 - (i % 5) * 0.1 : 0.1 + (i % 5) * 0.1));
    const run = async (streamed: boolean, shift = 0): Promise<Float32Array> => {
      const requests = new Map<number, number[]>();
      const provider: BatchProvider = {
        ahead: 2,
        request: (step, _lab, unl) => requests.set(step, [...unl!]),
        take: async (step) => {
          const unl = requests.get(step)!;
          const probs = new Float32Array(unl.length * 2);
          unl.forEach((i, k) => probs.set(stored.subarray(((i + shift) % 7) * 2, ((i + shift) % 7) * 2 + 2), k * 2));
          return {
            input: Float32Array.from({ length: (4 + unl.length) * 36 }, (_, j) => ((j * 37) % 11) / 11),
            ...(streamed ? { unlabeledProbabilities: probs } : {}),
          };
        },
      };
      let weights = new Float32Array(0);
      await train((r) => ({
        ...r,
        pseudoLabels: { kind: 'soft', temperature: 1 },
        labeled: { set: { kind: 'external', count: 10, shape: SHAPE }, labels },
        unlabeled: {
          set: { kind: 'external', count: 7, shape: SHAPE },
          ...(streamed ? {} : { probabilities: stored }),
        },
        batches: provider,
        onEpoch: () => {
          weights = Float32Array.from(r.model.getWeights().flatMap((w) => [...(w.dataSync() as Float32Array)]));
        },
      }));
      return weights;
    };
    const fromStore = await run(false);
    expect(fromStore.length).toBeGreaterThan(0);
    expect(await run(true)).toEqual(fromStore);
    // Distributions of other examples train a different model.
    expect(await run(true, 3)).not.toEqual(fromStore);
  });
});
