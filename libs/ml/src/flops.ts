// Forward FLOPs per example of a model (multiply and add counted as 2), from its convolution and
// dense layers; batch norm, activations, pooling and additions are left out (a few percent).
// A training step costs about 3x forward (forward, gradient w.r.t. inputs, w.r.t. weights).
import type * as tf from '@tensorflow/tfjs';

type Shape = Array<number | null>;
const prod = (xs: Array<number | null>) => xs.reduce<number>((a, b) => a * (b ?? 1), 1);

export function forwardFlops(model: tf.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const cfg = layer.getConfig() as { kernelSize?: number[] | number; units?: number };
    const name = layer.getClassName();
    if (name !== 'Conv2D' && name !== 'DepthwiseConv2D' && name !== 'Dense') continue;
    const out = (layer.output as tf.SymbolicTensor).shape as Shape;
    const inp = (layer.input as tf.SymbolicTensor).shape as Shape;
    const k = Array.isArray(cfg.kernelSize) ? prod(cfg.kernelSize) : (cfg.kernelSize ?? 1) ** 2;
    switch (name) {
      case 'Conv2D':
        flops += 2 * prod(out.slice(1)) * k * (inp[inp.length - 1] ?? 1);
        break;
      case 'DepthwiseConv2D':
        flops += 2 * prod(out.slice(1)) * k;
        break;
      case 'Dense':
        flops += 2 * (inp[inp.length - 1] ?? 1) * (cfg.units ?? 1);
        break;
      default:
        break;
    }
  }
  return flops;
}
