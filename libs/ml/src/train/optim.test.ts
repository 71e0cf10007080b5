import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnednn } from '@noisy/onednn';
import { currentBackend, selectBackend } from '../backend.js';
import { Ema, emaDecayAt } from './ema.js';
import { configureOnednn } from '../kernels/onednn-kernels.js';
import { onednnCalls } from '../kernels/onednn-state.js';
import { random, relErr } from '../kernels/kernel-check.js';
import { Optimizer } from './optimizer.js';
import { learningRateAt } from './schedule.js';

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
});
