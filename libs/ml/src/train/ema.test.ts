// The EMA of weights against hand-computed values: TF's num_updates warm-up makes the first
// updates move the shadow most (d_0 = 1/10, d_1 = 2/11), so an off-by-one counter shows at once.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import { configureOnednn } from '../kernels/onednn-kernels.js';
import { onednnActive, onednnCalls } from '../kernels/onednn-state.js';
import { EMA } from '../kernels/onednn-updates.js';
import { Ema } from './ema.js';

const layerVar = (v: tf.Variable) => ({ read: () => v }) as unknown as tf.LayerVariable;

describe('ema', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const native of [false, true]) {
    it(`ema - the first two updates use d = 1/10 then 2/11 (${native ? 'native kernel' : 'tfjs ops'})`, () => {
      configureOnednn({ enabled: native });
      try {
        if (native && !onednnActive()) return; // without the addon only the ops path exists (the optim test requires it in CI)
        const w = tf.variable(tf.tensor1d([0, 10]), true, `w_ema_${native}`);
        const ema = new Ema([layerVar(w)], 0.9999);
        const calls = onednnCalls.native.get(EMA) ?? 0;
        w.assign(tf.tensor1d([1, 0]));
        ema.update();
        // s = s - (1 - 0.1) (s - w) = [0.9, 1.0]
        expect(Array.from(ema.values()[0].dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(1, 6)]);
        ema.update();
        // d = 2/11: s = [0.9 + (9/11) 0.1, 1 - (9/11) 1] = [0.981818, 0.181818]
        const s = ema.values()[0].dataSync();
        expect(s[0]).toBeCloseTo(0.9 + 0.9 / 11, 6);
        expect(s[1]).toBeCloseTo(2 / 11, 6);
        expect(ema.numUpdates).toBe(2);
        expect(onednnCalls.native.get(EMA) ?? 0).toBe(calls + (native ? 2 : 0));
        ema.dispose();
        w.dispose();
      } finally {
        configureOnednn({ enabled: true });
      }
    });
  }

  it('ema - restored update count continues the warm-up where the checkpoint left it', () => {
    const w = tf.variable(tf.tensor1d([0]), true, 'w_ema_restore');
    const ema = new Ema([layerVar(w)], 0.9999);
    ema.restoreUpdates(90); // d_90 = 91/100
    w.assign(tf.tensor1d([1]));
    ema.update();
    expect(ema.values()[0].dataSync()[0]).toBeCloseTo(0.09, 6);
    expect(ema.numUpdates).toBe(91);
    ema.dispose();
    w.dispose();
  });

  it('ema - shadows are not trainable, and dispose frees them', () => {
    const w = tf.variable(tf.tensor2d([[1, 2]]), true, 'w_ema_dispose');
    const before = tf.memory().numTensors;
    const ema = new Ema([layerVar(w)], 0.99);
    expect(ema.shadows[0].trainable).toBe(false);
    ema.update();
    expect(tf.memory().numTensors).toBe(before + 1);
    ema.dispose();
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});
