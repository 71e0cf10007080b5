// ReLU / swish as one layer with a hand-written gradient. tfjs differentiates swish = x * sigmoid(x)
// through three ops forward and about eight backward, and ReLU's gradient through Step, Cast and
// Multiply; here each direction is one pass: dReLU = dy * [x > 0], dswish = dy * (s + x s (1 - s)).
// On wasm with the oneDNN addon both run as native kernels (kernels/onednn-activations.ts).
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '@noisy/core';
import { activationGradNative, activationNative, type ActivationName } from '../kernels/onednn-activations.js';
import { onednnActive } from '../kernels/onednn-state.js';

function forwardJs(x: tf.Tensor, activation: ActivationName): tf.Tensor {
  return activation === 'relu' ? tf.relu(x) : tf.mul(x, tf.sigmoid(x));
}

function gradJs(x: tf.Tensor, dy: tf.Tensor, activation: ActivationName): tf.Tensor {
  return tf.tidy(() => {
    if (activation === 'relu') return tf.where(tf.greater(x, 0), dy, tf.zerosLike(dy));
    const s = tf.sigmoid(x);
    return tf.mul(dy, tf.add(s, tf.mul(tf.mul(x, s), tf.sub(1, s))));
  });
}

/** activation(x) with the one-pass gradient; native on wasm + oneDNN. */
export function activate(x: tf.Tensor, activation: ActivationName): tf.Tensor {
  const f = tf.customGrad(((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xIn]);
    return {
      value: onednnActive() ? activationNative(xIn, activation) : forwardJs(xIn, activation),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        onednnActive()
          ? activationGradNative(saved[0], dy as tf.Tensor, activation)
          : gradJs(saved[0], dy as tf.Tensor, activation),
    };
  }) as any);
  return f(x);
}

export class FastActivation extends tf.layers.Layer {
  static className = 'NoisyActivation';
  readonly activation: ActivationName;

  constructor(args: { activation: ActivationName; name?: string }) {
    super({ name: args.name });
    // A model file edited by hand (or from a newer version) must not silently get another function.
    if (args.activation !== 'relu' && args.activation !== 'swish')
      throw new ModelError(
        `layer ${args.name ?? '(unnamed)'}: activation must be 'relu' or 'swish', got '${String(args.activation)}'`,
      );
    this.activation = args.activation;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training) return activate(x, this.activation);
    // Inference needs no gradient: skip customGrad's bookkeeping.
    return onednnActive() ? activationNative(x, this.activation) : forwardJs(x, this.activation);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation };
  }
}
tf.serialization.registerClass(FastActivation);
