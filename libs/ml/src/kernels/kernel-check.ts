// Shared by the kernel tests: seeded inputs, a relative error, and the value plus both gradients
// of one convolution computed on a chosen backend (to compare a kernel with the cpu backend's).
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@noisy/core';

export interface ConvCase {
  x: number[];
  k: number[];
  stride: number;
  pad: 'same' | 'valid';
  depthwise?: boolean;
  dilation?: number;
  /** Use the fused op with a bias and this activation. */
  fused?: 'linear' | 'relu' | 'elu';
}

/** Strides 1-3, same/valid, non-square, 1×1 to 5×5, depthwise with multipliers 1 and 2. */
export const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 3], k: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [1, 10, 7, 2], k: [3, 2, 2, 5], stride: 3, pad: 'valid' },
  { x: [3, 8, 8, 4], k: [5, 5, 4, 2], stride: 2, pad: 'valid' },
  { x: [2, 11, 11, 3], k: [1, 1, 3, 6], stride: 2, pad: 'same' },
  { x: [2, 9, 9, 4], k: [3, 3, 4, 1], stride: 1, pad: 'same', depthwise: true },
  { x: [2, 10, 10, 3], k: [5, 5, 3, 1], stride: 2, pad: 'same', depthwise: true },
  { x: [1, 9, 8, 2], k: [3, 3, 2, 2], stride: 2, pad: 'valid', depthwise: true },
];

export function random(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

/** Largest absolute difference relative to the largest reference entry. */
export function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  if (a.length === 0) return 0;
  let maxDiff = 0,
    maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return maxDiff / maxRef;
}

/** y = conv(x, w), and (undilated only) the gradients of sum(y * r) with respect to x and w, on `backend`. */
export async function convAndGrads(
  backend: string,
  c: ConvCase,
): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.x, 1), c.x as [number, number, number, number]);
    const w = tf.tensor4d(random(c.k, 2), c.k as [number, number, number, number]);
    const outChannels = c.depthwise ? c.k[2] * c.k[3] : c.k[3];
    const bias = tf.tensor1d(random([outChannels], 4));
    const dilations = c.dilation ?? 1;
    const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => {
      const [x4, w4] = [a as tf.Tensor4D, b as tf.Tensor4D];
      if (c.fused) {
        const args = { x: x4, filter: w4, strides: c.stride, pad: c.pad, dilations, bias, activation: c.fused };
        return c.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
      }
      return c.depthwise
        ? tf.depthwiseConv2d(x4, w4, c.stride, c.pad, 'NHWC', dilations)
        : tf.conv2d(x4, w4, c.stride, c.pad, 'NHWC', dilations);
    };
    const y = conv(x, w);
    // tfjs has no gradient for dilated convolutions: check their forward pass only.
    if (dilations > 1) return { y: y.dataSync() as Float32Array, dx: new Float32Array(0), dw: new Float32Array(0) };
    const r = tf.tensor(random(y.shape, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), r)))([x, w]);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}
