import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@noisy/core';
import { registerWasmGradientKernels } from './wasm-gradients.js';

type Case = { x: number[]; k: number[]; stride: number; pad: 'same' | 'valid'; depthwise?: boolean };

function random(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

/** Gradients of sum(conv(x, w) * r) with respect to x and w on the given backend. */
async function grads(backend: string, c: Case): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.x, 1), c.x as [number, number, number, number]);
    const w = tf.tensor4d(random(c.k, 2), c.k as [number, number, number, number]);
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const y = c.depthwise
        ? tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
        : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      const r = tf.tensor(random(y.shape, 3), y.shape);
      return tf.sum(tf.mul(y, r));
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < a.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i])); maxRef = Math.max(maxRef, Math.abs(b[i])); }
  return maxDiff / maxRef;
}

const cases: Case[] = [
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [1, 10, 7, 2], k: [3, 2, 2, 5], stride: 3, pad: 'valid' },
  { x: [3, 8, 8, 4], k: [5, 5, 4, 2], stride: 2, pad: 'valid' },
  { x: [2, 11, 11, 3], k: [1, 1, 3, 6], stride: 2, pad: 'same' },
  { x: [2, 9, 9, 4], k: [3, 3, 4, 1], stride: 1, pad: 'same', depthwise: true },
  { x: [2, 10, 10, 3], k: [5, 5, 3, 1], stride: 2, pad: 'same', depthwise: true },
  { x: [1, 9, 8, 2], k: [3, 3, 2, 2], stride: 2, pad: 'valid', depthwise: true },
];

describe('wasm gradient kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmGradientKernels();
  });

  it.each(cases)('wasm gradient kernels - match cpu for %j', async (c) => {
    const cpu = await grads('cpu', c);
    const wasm = await grads('wasm', c);
    // Measured: <= 2e-6 relative to the largest gradient entry.
    expect(relErr(wasm.dx, cpu.dx)).toBeLessThan(1e-5);
    expect(relErr(wasm.dw, cpu.dw)).toBeLessThan(1e-5);
  });

  it('wasm gradient kernels - leak no tensors', async () => {
    await tf.setBackend('wasm');
    await grads('wasm', cases[1]);
    const before = tf.memory().numTensors;
    for (const c of cases) await grads('wasm', c);
    await tf.setBackend('wasm');
    expect(tf.memory().numTensors).toBe(before);
  });
});
