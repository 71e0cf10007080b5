import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { convAndGrads as grads, relErr, type ConvCase as Case } from './kernel-check.js';
import { registerWasmGradientKernels } from './wasm-gradients.js';

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
