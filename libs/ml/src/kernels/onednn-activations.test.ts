import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnednn } from '@noisy/onednn';
import { random, relErr } from './kernel-check.js';
import { registerOnednnKernels } from './onednn-kernels.js';
import { onednnCalls } from './onednn-state.js';
import { activate, FastActivation } from '../models/activation.js';
import type { ActivationName } from './onednn-activations.js';

const { addon } = loadOnednn();
const required = process.env.NOISY_REQUIRE_ONEDNN === '1';

/** y and d sum(y * r) / dx for seeded x (with extremes and zeros mixed in), ours or tfjs autodiff. */
function run(activation: ActivationName, impl: 'ours' | 'autodiff'): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const values = random([3, 7, 5, 11], 1).map((v) => v * 4);
    values.set([0, -100, 100, -30, 30, 1e-8], 0);
    const x = tf.tensor(values, [3, 7, 5, 11]);
    const r = tf.tensor(random([3, 7, 5, 11], 2), [3, 7, 5, 11]);
    const f = (a: tf.Tensor) =>
      impl === 'ours' ? activate(a, activation) : activation === 'relu' ? tf.relu(a) : tf.mul(a, tf.sigmoid(a));
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x);
    return { y: f(x).dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  });
}

const names: ActivationName[] = ['relu', 'swish'];

describe('activations', () => {
  it.each(names)('activations - %s: the one-pass gradient matches autodiff on cpu', async (name) => {
    await tf.setBackend('cpu');
    const ours = run(name, 'ours'),
      ref = run(name, 'autodiff');
    expect(relErr(ours.y, ref.y)).toBeLessThan(1e-6);
    expect(relErr(ours.dx, ref.dx)).toBeLessThan(1e-6);
  });

  it('activations - a layer config with another activation is refused, naming the layer', () => {
    expect(() => new FastActivation({ activation: 'elu' as never, name: 'b0_act' })).toThrow(
      /layer b0_act: activation must be 'relu' or 'swish', got 'elu'/,
    );
  });
});

describe.skipIf(!addon && !required)('activations on oneDNN', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    const r = registerOnednnKernels();
    if ('error' in r) throw new Error(r.error);
  });

  it.each(names)(
    'activations on oneDNN - %s matches the cpu backend, extremes included, and leaks nothing',
    async (name) => {
      await tf.setBackend('cpu');
      const ref = run(name, 'autodiff');
      await tf.setBackend('wasm');
      const before = onednnCalls.native.get('NoisyActivationGrad') ?? 0;
      const tensors = tf.memory().numTensors;
      const native = run(name, 'ours');
      expect(tf.memory().numTensors).toBe(tensors);
      expect(onednnCalls.native.get('NoisyActivationGrad')).toBe(before + 1);
      // Measured: ~1e-7 (libmvec's vector exp against the cpu backend's Math.exp).
      expect(relErr(native.y, ref.y)).toBeLessThan(1e-5);
      expect(relErr(native.dx, ref.dx)).toBeLessThan(1e-5);
      expect(Array.from(native.y.slice(0, 6)).every(Number.isFinite)).toBe(true);
    },
  );
});
