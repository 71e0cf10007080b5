// EfficientNet-B0..B7 as in the original's efficientnet_model.py: MBConv blocks with squeeze-and-
// excitation (0.25 of the block's input filters), swish, BN momentum 0.99 / eps 1e-3, filters
// rounded to multiples of 8, repeats ceil(depth * r), linear stochastic depth on identity-skip
// blocks. The small-image variant (inputs of 32 px and below) gives stages 2 and 3 stride 1.
import * as tf from '@tensorflow/tfjs';
import { Builder } from './layers.js';
import { linearDropRate } from './stochastic-depth.js';
import type { BuildOptions } from './types.js';

/** (width, depth, native resolution, dropout) per size, from efficientnet_builder.py. */
export const EFFICIENTNET_PARAMS: Record<number, [number, number, number, number]> = {
  0: [1.0, 1.0, 224, 0.2],
  1: [1.0, 1.1, 240, 0.2],
  2: [1.1, 1.2, 260, 0.3],
  3: [1.2, 1.4, 300, 0.3],
  4: [1.4, 1.8, 380, 0.4],
  5: [1.6, 2.2, 456, 0.4],
  6: [1.8, 2.6, 528, 0.5],
  7: [2.0, 3.1, 600, 0.5],
};

/**
 * Input resolution of a model: `override` when the experiment sets one, else EfficientNet-B<k>'s
 * native resolution (B0 224, B1 240, B2 260, B3 300, B4 380, B5 456, B6 528, B7 600), else null
 * (other models take the dataset's size).
 */
export function modelResolution(name: string, override?: number | null): number | null {
  if (override) return override;
  const eff = /^efficientnet-b([0-7])$/.exec(name);
  return eff ? EFFICIENTNET_PARAMS[Number(eff[1])][2] : null;
}

/** r, k, s, e, i, o of the seven stages (the original's block strings). */
const STAGES: Array<[number, number, number, number, number, number]> = [
  [1, 3, 1, 1, 32, 16],
  [2, 3, 2, 6, 16, 24],
  [2, 5, 2, 6, 24, 40],
  [3, 3, 2, 6, 40, 80],
  [3, 5, 1, 6, 80, 112],
  [4, 5, 2, 6, 112, 192],
  [1, 3, 1, 6, 192, 320],
];

export function roundFilters(filters: number, width: number, divisor = 8): number {
  const f = filters * width;
  let out = Math.max(divisor, Math.floor((f + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * f) out += divisor;
  return out;
}

export function buildEfficientNet(o: BuildOptions, size: number): tf.LayersModel {
  const [w0, d0, , drop0] = EFFICIENTNET_PARAMS[size];
  const width = w0 * o.width,
    depth = d0 * o.depth;
  const smallImage = Math.min(o.inputShape[0], o.inputShape[1]) <= 32;
  const b = new Builder(o.seed);
  type T = tf.SymbolicTensor;
  const stages = STAGES.map(([r, k, s, e, i, out], idx) => ({
    repeats: Math.ceil(depth * r),
    k,
    s: smallImage && (idx === 1 || idx === 2) ? 1 : s,
    e,
    i: roundFilters(i, width),
    o: roundFilters(out, width),
  }));
  const total = stages.reduce((a, st) => a + st.repeats, 0);
  const input = tf.input({ shape: o.inputShape, name: 'image' });
  let x: T = b.act(b.bn(b.conv(input, roundFilters(32, width), 3, 2, 'stem_conv'), 'stem_bn'), 'swish', 'stem_act');
  let block = 0;
  stages.forEach((st, si) => {
    for (let r = 0; r < st.repeats; r++, block++) {
      const name = `b${si}_${r}`;
      const inF = r === 0 ? st.i : st.o;
      const stride = r === 0 ? st.s : 1;
      let h = x;
      if (st.e !== 1)
        h = b.act(
          b.bn(b.conv(h, inF * st.e, 1, 1, `${name}_expand`), `${name}_expand_bn`),
          'swish',
          `${name}_expand_act`,
        );
      h = b.act(b.bn(b.depthwise(h, st.k, stride, `${name}_dw`), `${name}_dw_bn`), 'swish', `${name}_dw_act`);
      // Squeeze-and-excitation on 0.25 of the block's input filters.
      const c = h.shape[3] as number;
      let se = tf.layers.globalAveragePooling2d({ name: `${name}_se_pool` }).apply(h) as T;
      se = tf.layers.reshape({ targetShape: [1, 1, c], name: `${name}_se_reshape` }).apply(se) as T;
      se = tf.layers
        .conv2d({
          filters: Math.max(1, Math.floor(inF * 0.25)),
          kernelSize: 1,
          activation: 'swish',
          kernelInitializer: b.init.conv(),
          name: `${name}_se_reduce`,
        })
        .apply(se) as T;
      se = tf.layers
        .conv2d({
          filters: c,
          kernelSize: 1,
          activation: 'sigmoid',
          kernelInitializer: b.init.conv(),
          name: `${name}_se_expand`,
        })
        .apply(se) as T;
      h = tf.layers.multiply({ name: `${name}_se` }).apply([h, se]) as T;
      h = b.bn(b.conv(h, st.o, 1, 1, `${name}_project`), `${name}_project_bn`);
      x =
        stride === 1 && inF === st.o
          ? b.skip(x, h, linearDropRate(o.stochasticDepth, block, total), block, `${name}_sd`)
          : h;
    }
  });
  x = b.act(b.bn(b.conv(x, roundFilters(1280, width), 1, 1, 'head_conv'), 'head_bn'), 'swish', 'head_act');
  return tf.model({
    inputs: input,
    outputs: b.head(x, o.classes, o.dropout ?? drop0),
    name: `efficientnet-b${size}${smallImage ? '-small' : ''}`,
  });
}
