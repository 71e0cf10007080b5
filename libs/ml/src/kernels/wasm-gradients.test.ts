import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONV_CASES, convAndGrads as grads, relErr } from './kernel-check.js';
import { registerWasmGradientKernels } from './wasm-gradients.js';

const cases = CONV_CASES;

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
