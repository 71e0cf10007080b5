// ReLU and swish on the oneDNN addon's elementwise loops for the wasm backend: custom kernels
// NoisyActivation (forward) and NoisyActivationGrad (dx from x and dy), one pass each.
// models/activation.ts uses them when onednnActive(), else tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { ActivationKind, type OnednnAddon } from '@noisy/onednn';
import { heapKernel } from './onednn-state.js';

export const ACT = 'NoisyActivation';
export const ACT_GRAD = 'NoisyActivationGrad';
export type ActivationName = 'relu' | 'swish';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function registerOnednnActivations(addon: OnednnAddon): void {
  const kinds = {
    relu: [ActivationKind.relu, ActivationKind.reluBackward],
    swish: [ActivationKind.swish, ActivationKind.swishBackward],
  };
  const kind = (attrs: Record<string, unknown>, backward: number) =>
    kinds[attrs.activation as ActivationName][backward];
  if (!tf.getKernel(ACT, 'wasm')) {
    tf.registerKernel({
      kernelName: ACT,
      backendName: 'wasm',
      kernelFunc: heapKernel(
        ACT,
        ['x'],
        (x) => [x.shape],
        (heap, offsets, x, attrs) => addon.activation(kind(attrs, 0), heap, offsets, size(x.shape)),
      ),
    });
  }
  if (!tf.getKernel(ACT_GRAD, 'wasm')) {
    tf.registerKernel({
      kernelName: ACT_GRAD,
      backendName: 'wasm',
      kernelFunc: heapKernel(
        ACT_GRAD,
        ['x', 'dy'],
        (x) => [x.shape],
        (heap, offsets, x, attrs) => addon.activation(kind(attrs, 1), heap, offsets, size(x.shape)),
      ),
    });
  }
}

export function activationNative(x: tf.Tensor, activation: ActivationName): tf.Tensor {
  return tf.engine().runKernel(ACT, { x } as never, { activation } as never) as tf.Tensor;
}

export function activationGradNative(x: tf.Tensor, dy: tf.Tensor, activation: ActivationName): tf.Tensor {
  return tf.engine().runKernel(ACT_GRAD, { x, dy } as never, { activation } as never) as tf.Tensor;
}
