// A small residual CNN for small images (Fashion-MNIST, 28x28): a stem, three stages of
// identity-skip residual blocks (the ones stochastic depth can drop) joined by stride-2 convs,
// global pooling, dropout, classifier. Base width 16 (~18 MFLOP per 28x28 image at width 1).
import * as tf from '@tensorflow/tfjs';
import { Builder } from './layers.js';
import { linearDropRate } from './stochastic-depth.js';
import type { BuildOptions } from './types.js';

export function buildSmallCnn(o: BuildOptions): tf.LayersModel {
  const b = new Builder(o.seed);
  const width = (c: number) => Math.max(4, Math.round(c * o.width));
  const blocksPerStage = Math.max(1, Math.round(o.depth));
  const total = 3 * blocksPerStage;
  const convBnRelu = (x: tf.SymbolicTensor, filters: number, strides: number, name: string) =>
    b.act(b.bn(b.conv(x, filters, 3, strides, `${name}_conv`), `${name}_bn`), 'relu', `${name}_relu`);
  const input = tf.input({ shape: o.inputShape, name: 'image' });
  let x = convBnRelu(input, width(16), 1, 'stem');
  let block = 0;
  [16, 32, 64].forEach((c, stage) => {
    if (stage > 0) x = convBnRelu(x, width(c), 2, `down${stage}`);
    for (let i = 0; i < blocksPerStage; i++, block++) {
      const name = `s${stage}b${i}`;
      const h = convBnRelu(x, width(c), 1, `${name}a`);
      const r = b.bn(b.conv(h, width(c), 3, 1, `${name}b_conv`), `${name}b_bn`);
      x = b.act(
        b.skip(x, r, linearDropRate(o.stochasticDepth, block, total), block, `${name}_sd`),
        'relu',
        `${name}_out`,
      );
    }
  });
  return tf.model({ inputs: input, outputs: b.head(x, o.classes, o.dropout ?? 0.2), name: 'cnn-small' });
}
