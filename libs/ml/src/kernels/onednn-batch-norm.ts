// Batch norm kernels on oneDNN for the wasm backend: custom kernels NoisyBatchNormTrain (batch
// statistics), NoisyBatchNormGrad and NoisyBatchNormInfer (moving statistics), each one pass over
// the activations instead of the ~10 elementwise ops and two matrix products of the JS version
// (which was a third of a training step once the convolutions ran on oneDNN).
// models/batch-norm.ts uses them when onednnActive() says so, else its JS path.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { BatchNormKind, type OnednnAddon } from '@noisy/onednn';
import { heapKernel } from './onednn-state.js';

export const BN_TRAIN = 'NoisyBatchNormTrain';
export const BN_GRAD = 'NoisyBatchNormGrad';
export const BN_INFER = 'NoisyBatchNormInfer';

export function registerOnednnBatchNorm(addon: OnednnAddon): void {
  const channels = (x: TensorInfo) => [x.shape[x.shape.length - 1]];
  const specs: Array<[string, number, string[], (x: TensorInfo) => number[][]]> = [
    [BN_TRAIN, BatchNormKind.train, ['x', 'gamma', 'beta'], (x) => [x.shape, channels(x), channels(x)]],
    [
      BN_GRAD,
      BatchNormKind.backward,
      ['x', 'dy', 'mean', 'variance', 'gamma'],
      (x) => [x.shape, channels(x), channels(x)],
    ],
    [BN_INFER, BatchNormKind.inference, ['x', 'gamma', 'beta', 'mean', 'variance'], (x) => [x.shape]],
  ];
  for (const [name, kind, inputs, outputs] of specs) {
    if (tf.getKernel(name, 'wasm')) continue;
    const kernelFunc = heapKernel(name, inputs, outputs, (heap, offsets, x, attrs) => {
      const c = x.shape[x.shape.length - 1];
      addon.batchNorm(kind, heap, offsets, x.shape.reduce((a, b) => a * b, 1) / c, c, attrs.epsilon as number);
    });
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  }
}

const run = (name: string, inputs: Record<string, tf.Tensor>, epsilon: number) =>
  tf.engine().runKernel(name, inputs as never, { epsilon } as never);

/** y, batch mean and (biased) batch variance of x [..., C]. */
export function batchNormTrainNative(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor[] {
  return run(BN_TRAIN, { x, gamma, beta }, epsilon) as tf.Tensor[];
}

/** dx, dgamma, dbeta. */
export function batchNormGradNative(
  x: tf.Tensor,
  dy: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor,
  epsilon: number,
): tf.Tensor[] {
  return run(BN_GRAD, { x, dy, mean, variance, gamma }, epsilon) as tf.Tensor[];
}

export function batchNormInferNative(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  epsilon: number,
): tf.Tensor {
  return run(BN_INFER, { x, gamma, beta, mean, variance }, epsilon) as tf.Tensor;
}
