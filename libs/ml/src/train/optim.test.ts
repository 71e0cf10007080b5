import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnednn } from '@noisy/onednn';
import { currentBackend, selectBackend } from '../backend.js';
import { Ema, emaDecayAt } from './ema.js';
import { configureOnednn } from '../kernels/onednn-kernels.js';
import { onednnCalls } from '../kernels/onednn-state.js';
import { random, relErr } from '../kernels/kernel-check.js';
import { Optimizer } from './optimizer.js';
import { decayEpochsFor, learningRateAt } from './schedule.js';

describe('optimisation', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('rmsprop - follows TF ApplyRMSProp with ms starting at one and eps inside the root', () => {
    const w = tf.variable(tf.tensor1d([1, -2]), true, 'w_rms');
    const opt = new Optimizer([w], { kind: 'rmsprop', weightDecay: 0, decayed: () => true });
    opt.apply({ w_rms: tf.tensor1d([0.5, -1]) }, 0.1);
    // ms = .9 + .1 g^2 = [.925, 1.0]; mom = .1 g / sqrt(ms + 1e-3); w -= mom
    const ms = [0.925, 1.0];
    const expected = [1 - (0.1 * 0.5) / Math.sqrt(ms[0] + 1e-3), -2 + (0.1 * 1) / Math.sqrt(ms[1] + 1e-3)];
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(expected[0], 6);
    expect(got[1]).toBeCloseTo(expected[1], 6);
    opt.dispose();
    w.dispose();
  });

  it('rmsprop - weight decay adds wd * w to the gradient of decayed weights only', () => {
    const w = tf.variable(tf.tensor1d([2]), true, 'w_wd');
    const opt = new Optimizer([w], { kind: 'rmsprop', weightDecay: 0.5, decayed: () => true });
    opt.apply({ w_wd: tf.tensor1d([0]) }, 0.1); // g = 0 + .5 * 2 = 1
    expect(w.dataSync()[0]).toBeCloseTo(2 - 0.1 / Math.sqrt(1 + 1e-3), 6);
    opt.dispose();
    w.dispose();
  });

  // Without the addon only the tfjs ops exist; CI builds it and sets NOISY_REQUIRE_ONEDNN=1, so there this cannot skip.
  it.skipIf(!loadOnednn().addon && process.env.NOISY_REQUIRE_ONEDNN !== '1')(
    'rmsprop and ema - the fused native kernels and the tfjs ops agree over 5 steps',
    async () => {
      expect(currentBackend()?.kernels, currentBackend()?.kernelsSkipped ?? '').toMatch(/^oneDNN/);
      const run = (native: boolean) => {
        configureOnednn({ enabled: native });
        const w = tf.variable(tf.tensor2d(random([300, 200], 1), [300, 200]), true, `w_cmp_${native}`);
        const opt = new Optimizer([w], { kind: 'rmsprop', weightDecay: 1e-4, decayed: () => true });
        const ema = new Ema([{ read: () => w } as unknown as tf.LayerVariable], 0.999);
        for (let step = 0; step < 5; step++) {
          const g = tf.tensor2d(random([300, 200], 10 + step), [300, 200]);
          opt.apply({ [w.name]: g }, 0.016);
          ema.update();
          g.dispose();
        }
        const out = [w.dataSync() as Float32Array, ema.values()[0].dataSync() as Float32Array];
        opt.dispose();
        ema.dispose();
        w.dispose();
        return out;
      };
      const calls = onednnCalls.native.get('NoisyRmsProp') ?? 0;
      const [ops, native] = [run(false), run(true)];
      configureOnednn({ enabled: true });
      expect(onednnCalls.native.get('NoisyRmsProp')).toBe(calls + 5);
      expect(relErr(native[0], ops[0])).toBeLessThan(1e-6);
      expect(relErr(native[1], ops[1])).toBeLessThan(1e-6);
    },
  );

  it('ema - decay follows min(decay, (1 + n) / (10 + n))', () => {
    expect(emaDecayAt(0.9999, 0)).toBeCloseTo(0.1, 10);
    expect(emaDecayAt(0.9999, 90)).toBeCloseTo(0.91, 10);
    expect(emaDecayAt(0.9999, 1e7)).toBe(0.9999);
  });

  it('schedule - linear warm-up, then staircase decay counted from step 0', () => {
    const o = {
      learningRate: 0.016,
      batchSize: 128,
      stepsPerEpoch: 10,
      warmupEpochs: 5,
      decayRate: 0.97,
      decayEpochs: 2.4,
      finalLearningRate: null,
      totalSteps: 1000,
    };
    expect(learningRateAt(0, o)).toBe(0);
    expect(learningRateAt(25, o)).toBeCloseTo(0.008 * 0.5, 10);
    // step 50: floor(50 / 24) = 2 decays already
    expect(learningRateAt(50, o)).toBeCloseTo(0.008 * 0.97 ** 2, 10);
  });

  it('adam - with a constant gradient each of the first steps moves the weight by about lr', () => {
    // m_t / sqrt(v_t) with bias correction is g / |g| for a constant g: w = 1 - 0.1 - 0.1
    const w = tf.variable(tf.tensor1d([1]), true, 'w_adam');
    const opt = new Optimizer([w], { kind: 'adam', weightDecay: 0, decayed: () => true });
    opt.apply({ w_adam: tf.tensor1d([0.5]) }, 0.1);
    expect(w.dataSync()[0]).toBeCloseTo(0.9, 5);
    opt.apply({ w_adam: tf.tensor1d([0.5]) }, 0.1);
    expect(w.dataSync()[0]).toBeCloseTo(0.8, 5);
    // slots after two steps: m = .9 (.05) + .05 = .095, v = .999 (.00025) + .00025 = .00049975
    const { step, slots } = opt.state();
    expect(step).toBe(2);
    expect(slots[0].dataSync()[0]).toBeCloseTo(0.095, 6);
    expect(slots[1].dataSync()[0]).toBeCloseTo(0.00049975, 8);
    expect(slots.every((s) => !s.trainable)).toBe(true);
    opt.dispose();
    w.dispose();
  });

  it('adam - a restored step count sets the bias correction', () => {
    // Restored at step 1000 with zero slots: m = .05, v = .00025, lrT = .1 sqrt(1 - .999^1001) / (1 - .9^1001)
    const w = tf.variable(tf.tensor1d([1]), true, 'w_adam_restore');
    const opt = new Optimizer([w], { kind: 'adam', weightDecay: 0, decayed: () => true });
    opt.restoreStep(1000);
    opt.apply({ w_adam_restore: tf.tensor1d([0.5]) }, 0.1);
    const lrT = (0.1 * Math.sqrt(1 - 0.999 ** 1001)) / (1 - 0.9 ** 1001);
    expect(w.dataSync()[0]).toBeCloseTo(1 - (0.05 * lrT) / (Math.sqrt(0.00025) + 1e-7), 6);
    opt.dispose();
    w.dispose();
  });

  // Both update paths: tfjs ops, and the native kernel where the addon is loaded.
  for (const native of [false, true]) {
    it(`rmsprop - state lists ms then mom per variable; weights without a gradient or decay are left alone (${native ? 'native' : 'ops'})`, () => {
      configureOnednn({ enabled: native });
      const a = tf.variable(tf.tensor1d([2]), true, `w_state_a_${native}`);
      const bn = tf.variable(tf.tensor1d([3]), true, `w_state_bn_${native}`);
      const idle = tf.variable(tf.tensor1d([4]), true, `w_state_idle_${native}`);
      const before = tf.memory().numTensors;
      const opt = new Optimizer([a, bn, idle], {
        kind: 'rmsprop',
        weightDecay: 0.5,
        decayed: (name) => !name.includes('_bn_'),
      });
      opt.apply({ [a.name]: tf.tensor1d([0]), [bn.name]: tf.tensor1d([0]) }, 0.1);
      // a: g = .5 * 2 = 1 -> ms = .9 + .1 = 1, mom = .1 / sqrt(1.001); bn: not decayed, g = 0 -> unchanged
      const { slots } = opt.state();
      expect(slots).toHaveLength(6);
      expect(slots[0].dataSync()[0]).toBeCloseTo(1, 6);
      expect(slots[1].dataSync()[0]).toBeCloseTo(0.1 / Math.sqrt(1.001), 6);
      expect(slots[2].dataSync()[0]).toBeCloseTo(0.9, 6);
      expect(slots[3].dataSync()[0]).toBe(0);
      expect(slots.every((s) => !s.trainable)).toBe(true);
      expect(a.dataSync()[0]).toBeCloseTo(2 - 0.1 / Math.sqrt(1.001), 6);
      expect(bn.dataSync()[0]).toBe(3);
      expect(idle.dataSync()[0]).toBe(4);
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before + 2); // only the two gradients, which the caller owns
      for (const v of [a, bn, idle]) v.dispose();
      configureOnednn({ enabled: true });
    });
  }

  it('schedule - finalLearningRate picks decayEpochs so the last epoch decays to it', () => {
    const o = {
      learningRate: 0.1,
      batchSize: 256,
      stepsPerEpoch: 10,
      warmupEpochs: 5,
      decayRate: 0.97,
      decayEpochs: 2.4,
      finalLearningRate: 0.1 * 0.97 ** 10,
      totalSteps: 1000,
    };
    // 95 epochs after warm-up and 10 decays -> one every 9.5 epochs
    expect(decayEpochsFor(o)).toBeCloseTo(9.5, 9);
    expect(learningRateAt(94, o)).toBeCloseTo(0.1, 12); // 94 < 95 steps: no decay yet
    expect(learningRateAt(96, o)).toBeCloseTo(0.097, 12);
    expect(learningRateAt(191, o)).toBeCloseTo(0.1 * 0.97 ** 2, 12);
    // a final rate at or above the start decays nothing: the configured decayEpochs stands
    expect(decayEpochsFor({ ...o, finalLearningRate: 0.1 })).toBe(2.4);
    expect(decayEpochsFor({ ...o, finalLearningRate: 0.2 })).toBe(2.4);
    // a run shorter than its warm-up still gets a positive period
    expect(decayEpochsFor({ ...o, totalSteps: 10 })).toBe(1e-6);
  });
});
