// An MLP for tabular rows: hidden Dense-BN-ReLU layers (widths x width multiplier; depth
// multiplier repeats the last width), dropout, classifier.
import * as tf from '@tensorflow/tfjs';
import { FastBatchNorm } from './batch-norm.js';
import { Initializers } from './init.js';
import { SeededDropout } from './seeded-dropout.js';
import type { BuildOptions } from './types.js';

export function buildMlp(o: BuildOptions): tf.LayersModel {
  const init = new Initializers(o.seed);
  const layers = Math.max(1, Math.round(o.hidden.length * o.depth));
  const widths = Array.from({ length: layers }, (_, i) =>
    Math.max(4, Math.round(o.hidden[Math.min(i, o.hidden.length - 1)] * o.width)),
  );
  const input = tf.input({ shape: o.inputShape, name: 'features' });
  let x = input;
  widths.forEach((units, i) => {
    x = tf.layers
      .dense({ units, useBias: false, kernelInitializer: init.dense(), name: `fc${i}` })
      .apply(x) as tf.SymbolicTensor;
    x = new FastBatchNorm({ momentum: 0.99, epsilon: 1e-3, name: `fc${i}_bn` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `fc${i}_relu` }).apply(x) as tf.SymbolicTensor;
  });
  x = new SeededDropout({ rate: o.dropout ?? 0.2, seed: o.seed, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: o.classes, kernelInitializer: init.dense(), name: 'logits' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'mlp' });
}
