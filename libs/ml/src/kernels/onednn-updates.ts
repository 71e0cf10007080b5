// Optimizer and EMA steps as single native kernels on the wasm heap: NoisyRmsProp (w, g, ms, mom ->
// w', ms', mom') and NoisyEma (shadow, w -> shadow'). tfjs runs an RMSProp step as ~14 ops per
// variable and an EMA step as 3, each paying the engine's dispatch cost; a small CNN's step has
// ~100 variables. train/optimizer.ts and train/ema.ts use them when onednnActive().
import * as tf from '@tensorflow/tfjs';
import { UpdateKind, type OnednnAddon } from '@noisy/onednn';
import { heapKernel } from './onednn-state.js';

export const RMSPROP = 'NoisyRmsProp';
export const EMA = 'NoisyEma';
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function registerOnednnUpdates(addon: OnednnAddon): void {
  const params = new Float64Array(5);
  if (!tf.getKernel(RMSPROP, 'wasm')) {
    tf.registerKernel({
      kernelName: RMSPROP,
      backendName: 'wasm',
      kernelFunc: heapKernel(
        RMSPROP,
        ['w', 'g', 'ms', 'mom'],
        (w) => [w.shape, w.shape, w.shape],
        (heap, offsets, w, a) => {
          params.set([
            a.lr as number,
            a.rho as number,
            a.momentum as number,
            a.epsilon as number,
            a.weightDecay as number,
          ]);
          addon.update(UpdateKind.rmsprop, heap, offsets, size(w.shape), params);
        },
      ),
    });
  }
  if (!tf.getKernel(EMA, 'wasm')) {
    tf.registerKernel({
      kernelName: EMA,
      backendName: 'wasm',
      kernelFunc: heapKernel(
        EMA,
        ['shadow', 'w'],
        (s) => [s.shape],
        (heap, offsets, s, a) => {
          params[0] = a.decay as number;
          addon.update(UpdateKind.ema, heap, offsets, size(s.shape), params);
        },
      ),
    });
  }
}

export interface RmsPropParams {
  lr: number;
  rho: number;
  momentum: number;
  epsilon: number;
  weightDecay: number;
}

/** [w', ms', mom'] after one RMSProp step. */
export function rmspropNative(
  w: tf.Tensor,
  g: tf.Tensor,
  ms: tf.Tensor,
  mom: tf.Tensor,
  p: RmsPropParams,
): tf.Tensor[] {
  return tf.engine().runKernel(RMSPROP, { w, g, ms, mom } as never, { ...p } as never) as tf.Tensor[];
}

/** shadow' = shadow - (1 - decay) (shadow - w). */
export function emaNative(shadow: tf.Tensor, w: tf.Tensor, decay: number): tf.Tensor {
  return tf.engine().runKernel(EMA, { shadow, w } as never, { decay } as never) as tf.Tensor;
}
