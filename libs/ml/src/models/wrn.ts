// WRN-28-k (Zagoruyko & Komodakis), the standard semi-supervised benchmark net: a 3x3 stem of 16,
// three groups of (28-4)/6 = 4 pre-activation basic blocks of widths 16k, 32k, 64k (strides 1, 2, 2),
// BN-ReLU, pooling, dropout, classifier. Stochastic depth drops identity-skip blocks only.
import * as tf from '@tensorflow/tfjs';
import { Builder } from './layers.js';
import { linearDropRate } from './stochastic-depth.js';
import type { BuildOptions } from './types.js';

export function buildWrn(o: BuildOptions, k: number): tf.LayersModel {
  const b = new Builder(o.seed);
  const n = Math.max(1, Math.round(4 * o.depth));
  const widths = [16 * k, 32 * k, 64 * k].map((c) => Math.max(4, Math.round(c * o.width)));
  const total = 3 * n;
  const input = tf.input({ shape: o.inputShape, name: 'image' });
  let x = b.conv(input, Math.round(16 * o.width), 3, 1, 'stem_conv');
  let block = 0;
  widths.forEach((c, g) => {
    for (let i = 0; i < n; i++, block++) {
      const stride = i === 0 && g > 0 ? 2 : 1;
      const name = `g${g}b${i}`;
      const pre = b.act(b.bn(x, `${name}_bn1`), 'relu', `${name}_relu1`);
      let h = b.conv(pre, c, 3, stride, `${name}_conv1`);
      h = b.act(b.bn(h, `${name}_bn2`), 'relu', `${name}_relu2`);
      h = b.conv(h, c, 3, 1, `${name}_conv2`);
      const identity = stride === 1 && (x.shape[3] as number) === c;
      x = identity
        ? b.skip(x, h, linearDropRate(o.stochasticDepth, block, total), block, `${name}_sd`)
        : (tf.layers
            .add({ name: `${name}_add` })
            .apply([b.conv(pre, c, 1, stride, `${name}_proj`), h]) as tf.SymbolicTensor);
    }
  });
  x = b.act(b.bn(x, 'final_bn'), 'relu', 'final_relu');
  return tf.model({ inputs: input, outputs: b.head(x, o.classes, o.dropout ?? 0.2), name: `wrn-28-${k}` });
}
