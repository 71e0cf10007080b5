import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnednn } from '@noisy/onednn';
import { random, relErr } from './kernel-check.js';
import { registerWasmGradientKernels } from './wasm-gradients.js';
import { configureOnednn, registerOnednnKernels } from './onednn-kernels.js';
import { onednnCalls } from './onednn-state.js';
import { batchNormInfer, batchNormTrain } from '../models/batch-norm.js';

const { addon } = loadOnednn();
const required = process.env.NOISY_REQUIRE_ONEDNN === '1';
const EPS = 1e-3;

type Out = Record<'y' | 'mean' | 'variance' | 'dx' | 'dgamma' | 'dbeta' | 'infer', Float32Array>;

/** Batch norm of a seeded [shape] tensor: outputs, the gradients of sum(y * r), and inference. */
function batchNorm(shape: number[], impl: 'ours' | 'autodiff'): Out {
  const kept: tf.Tensor[] = []; // batchNormTrain's statistics outlive tidy (the layer disposes them)
  const out = tf.tidy(() => {
    const C = shape[shape.length - 1];
    const x = tf.tensor(random(shape, 1), shape).mul(2).add(0.5);
    const gamma = tf.tensor1d(random([C], 2)),
      beta = tf.tensor1d(random([C], 3));
    const r = tf.tensor(random(shape, 4), shape);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const train = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      if (impl === 'ours') {
        const result = batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, EPS);
        kept.push(result[1], result[2]);
        return result;
      }
      const { mean, variance } = tf.moments(a, axes);
      return [tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, EPS))), g), b), mean, variance] as const;
    };
    const [y, mean, variance] = train(x, gamma, beta);
    const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(train(a, g, b)[0], r)),
    )([x, gamma, beta]);
    const movingMean = tf.tensor1d(random([C], 5)),
      movingVar = tf
        .tensor1d(random([C], 6))
        .abs()
        .add(0.1);
    const infer =
      impl === 'ours'
        ? batchNormInfer(x, gamma, beta, movingMean as tf.Tensor1D, movingVar as tf.Tensor1D, EPS)
        : tf.add(tf.mul(tf.div(tf.sub(x, movingMean), tf.sqrt(tf.add(movingVar, EPS))), gamma), beta);
    const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
    return {
      y: data(y),
      mean: data(mean),
      variance: data(variance),
      dx: data(dx),
      dgamma: data(dgamma),
      dbeta: data(dbeta),
      infer: data(infer),
    };
  });
  tf.dispose(kept);
  return out;
}

const shapes = [
  [4, 5, 5, 8],
  [64, 3],
  [2, 16, 16, 32],
  [3, 7, 7, 1],
];

describe('batch norm', () => {
  it.each(shapes)('batch norm - the JS path matches autodiff through tf.moments on cpu for %j', async (...shape) => {
    await tf.setBackend('cpu');
    const ours = batchNorm(shape, 'ours'),
      ref = batchNorm(shape, 'autodiff');
    for (const k of Object.keys(ref) as Array<keyof Out>) expect(relErr(ours[k], ref[k]), k).toBeLessThan(1e-4);
  });
});

describe.skipIf(!addon && !required)('batch norm on oneDNN', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmGradientKernels();
    const r = registerOnednnKernels();
    if ('error' in r) throw new Error(r.error);
  });

  it.each(shapes)('batch norm on oneDNN - matches the cpu backend for %j', async (...shape) => {
    await tf.setBackend('cpu');
    const ref = batchNorm(shape, 'autodiff');
    await tf.setBackend('wasm');
    const before = onednnCalls.native.get('NoisyBatchNormGrad') ?? 0;
    const native = batchNorm(shape, 'ours');
    expect(onednnCalls.native.get('NoisyBatchNormGrad')).toBe(before + 1);
    // Measured: <= 2e-6 relative to the largest entry.
    for (const k of Object.keys(ref) as Array<keyof Out>) expect(relErr(native[k], ref[k]), k).toBeLessThan(1e-4);
  });

  it('batch norm on oneDNN - switched off, the JS path runs on wasm and agrees; no tensors leak', async () => {
    await tf.setBackend('wasm');
    const on = batchNorm([4, 5, 5, 8], 'ours');
    const before = tf.memory().numTensors;
    configureOnednn({ enabled: false });
    const calls = onednnCalls.native.get('NoisyBatchNormTrain');
    const off = batchNorm([4, 5, 5, 8], 'ours');
    configureOnednn({ enabled: true });
    expect(onednnCalls.native.get('NoisyBatchNormTrain')).toBe(calls);
    for (const k of Object.keys(on) as Array<keyof Out>) expect(relErr(off[k], on[k]), k).toBeLessThan(1e-4);
    batchNorm([4, 5, 5, 8], 'ours');
    expect(tf.memory().numTensors).toBe(before);
  });
});
