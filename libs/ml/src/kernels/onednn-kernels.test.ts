import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnednn } from '@noisy/onednn';
import { CONV_CASES, convAndGrads, random, relErr, type ConvCase } from './kernel-check.js';
import { registerWasmGradientKernels } from './wasm-gradients.js';
import { onednnCalls, registerOnednnKernels } from './onednn-kernels.js';

const { addon, error } = loadOnednn();
// CI installs libdnnl-dev and sets this, so a failed build cannot pass as "skipped".
const required = process.env.NOISY_REQUIRE_ONEDNN === '1';

const cases: ConvCase[] = [
  ...CONV_CASES,
  { x: [2, 8, 8, 16], k: [3, 3, 16, 32], stride: 1, pad: 'same' }, // channels oneDNN runs in blocked JIT kernels
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 1, pad: 'same', fused: 'relu' },
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 2, pad: 'valid', fused: 'linear' },
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 1, pad: 'same', fused: 'elu' }, // not taken: falls back
  { x: [1, 12, 12, 3], k: [3, 3, 3, 4], stride: 1, pad: 'same', dilation: 2 },
  { x: [2, 8, 8, 16], k: [3, 3, 16, 1], stride: 1, pad: 'same', depthwise: true, fused: 'relu' },
];

describe.skipIf(!addon && !required)('oneDNN convolution kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmGradientKernels();
    const r = registerOnednnKernels();
    if ('error' in r) throw new Error(`oneDNN kernels not registered: ${r.error} (${error})`);
  });

  it.each(cases)('oneDNN kernels - forward and both gradients match cpu for %j', async (c) => {
    const cpu = await convAndGrads('cpu', c);
    const native = await convAndGrads('wasm', c);
    // Measured: <= 1e-6 relative to the largest entry (oneDNN accumulates in a different order).
    expect(relErr(native.y, cpu.y)).toBeLessThan(1e-5);
    expect(relErr(native.dx, cpu.dx)).toBeLessThan(1e-5);
    expect(relErr(native.dw, cpu.dw)).toBeLessThan(1e-5);
  });

  it('oneDNN kernels - every kernel ran natively; only the ELU fusion fell back', () => {
    expect([...onednnCalls.native.keys()].sort()).toEqual([
      'Conv2D',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNative',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'FusedConv2D',
      'FusedDepthwiseConv2D',
    ]);
    expect([...onednnCalls.fallback.keys()]).toEqual(['FusedConv2D']);
    expect(onednnCalls.fallback.get('FusedConv2D')).toBe(1);
  });

  it('oneDNN kernels - global pooling (Mean and Sum over H, W) matches cpu; other reductions fall through', async () => {
    const x = random([3, 5, 7, 19], 9);
    const means = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const t = tf.tensor4d(x, [3, 5, 7, 19]);
        return [
          tf.mean(t, [1, 2]),
          tf.mean(t, [2, 1], true),
          tf.mean(t, 3),
          tf.mean(t),
          tf.sum(t, [1, 2], true),
          tf.sum(t, 0),
        ].map((m) => m.dataSync() as Float32Array);
      });
    };
    const before = [onednnCalls.native.get('Mean') ?? 0, onednnCalls.native.get('Sum') ?? 0];
    const [cpu, native] = [await means('cpu'), await means('wasm')];
    expect([onednnCalls.native.get('Mean'), onednnCalls.native.get('Sum')]).toEqual([before[0] + 2, before[1] + 1]);
    cpu.forEach((ref, i) => expect(relErr(native[i], ref)).toBeLessThan(1e-6));
  });

  it('oneDNN kernels - large adds and multiplies (same shape, per-example and per-channel factors) match cpu; broadcasts fall through', async () => {
    const [a, b, m, ch, g] = [
      random([4, 16, 16, 20], 1),
      random([4, 16, 16, 20], 2),
      random([4, 1, 1, 1], 3),
      random([20], 4),
      random([4, 1, 1, 20], 5),
    ];
    const ops = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const [ta, tb] = [tf.tensor4d(a, [4, 16, 16, 20]), tf.tensor4d(b, [4, 16, 16, 20])];
        const [tm, tc, tg] = [tf.tensor4d(m, [4, 1, 1, 1]), tf.tensor1d(ch), tf.tensor4d(g, [4, 1, 1, 20])];
        return [
          tf.add(ta, tb),
          tf.mul(ta, tb),
          tf.mul(ta, tm),
          tf.mul(tm, tb),
          tf.mul(tg, ta),
          tf.mul(ta, tc),
          tf.add(ta, tm),
        ].map((t) => t.dataSync() as Float32Array);
      });
    };
    const before = [onednnCalls.native.get('Add') ?? 0, onednnCalls.native.get('Multiply') ?? 0];
    const [cpu, native] = [await ops('cpu'), await ops('wasm')];
    expect([onednnCalls.native.get('Add'), onednnCalls.native.get('Multiply')]).toEqual([before[0] + 1, before[1] + 4]);
    cpu.forEach((ref, i) => expect(relErr(native[i], ref), `op ${i}`).toBeLessThan(1e-6));
  });

  it('oneDNN kernels - survive heap growth between calls and leak no tensors', async () => {
    await tf.setBackend('wasm');
    await convAndGrads('wasm', cases[0]);
    const before = tf.memory().numTensors;
    // A 64 MB tensor forces the wasm heap to grow (and its ArrayBuffer to be replaced).
    const big = tf.zeros([16, 1024, 1024]);
    for (const c of cases) await convAndGrads('wasm', c);
    big.dispose();
    await tf.setBackend('wasm');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('oneDNN kernels - the addon refuses offsets outside the heap instead of crashing', () => {
    const dims = Int32Array.from([1, 4, 4, 1, 4, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(() => addon!.conv(0, new ArrayBuffer(64), Float64Array.from([0, 0, 1 << 20, 0]), dims)).toThrow(
      /y lies outside the wasm heap/,
    );
  });
});
