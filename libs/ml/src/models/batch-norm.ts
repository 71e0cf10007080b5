// Batch normalisation with a closed-form gradient. tfjs-layers' BatchNormalization differentiates
// through moments and FusedBatchNorm, whose gradient tiles the variance to the activation's shape:
// Tile alone was 33% of a small CNN's training step on wasm. Here the backward pass is
//   dx = rstd / N * (N * g*dy - sum(g*dy) - xhat * sum(g*dy * xhat)),  dgamma = sum(dy*xhat), dbeta = sum(dy)
// with per-channel sums as [1, N] x [N, C] matrix products (fast GEMM instead of strided reductions).
// Moving statistics update as in Keras: moving = moving * m + batch * (1 - m), with the EMA's
// warm-up m = min(momentum, (1 + n) / (10 + n)) so that short runs (hundreds of steps, not the
// original's 100k) do not evaluate with statistics still near their initial values.
// On wasm with the oneDNN addon, all three passes run as single native kernels instead.
import * as tf from '@tensorflow/tfjs';
import { batchNormGradNative, batchNormInferNative, batchNormTrainNative } from '../kernels/onednn-batch-norm.js';
import { onednnActive } from '../kernels/onednn-state.js';

/** Sum over all leading axes of a [N, C] view: ones[1, N] x x[N, C] -> [C]. */
function channelSum(x2d: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, x2d.shape[0]]), x2d), [x2d.shape[1]]) as tf.Tensor1D;
}

/** Training-mode batch norm of x [..., C] with per-channel gamma/beta; returns [y, mean, variance]. */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  if (onednnActive()) return batchNormTrainOnednn(x, gamma, beta, epsilon);
  const C = x.shape[x.rank - 1] as number;
  const N = x.size / C;
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  const f = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2d = tf.reshape(xIn, [N, C]) as tf.Tensor2D;
    const m = tf.div(channelSum(x2d), N) as tf.Tensor1D;
    const centered = tf.sub(x2d, m);
    const v = tf.div(channelSum(tf.square(centered) as tf.Tensor2D), N) as tf.Tensor1D;
    const rstd = tf.rsqrt(tf.add(v, epsilon));
    const xhat = tf.mul(centered, rstd) as tf.Tensor2D;
    save([xhat, rstd, g]);
    mean = tf.keep(tf.clone(m));
    variance = tf.keep(tf.clone(v));
    const y = tf.reshape(tf.add(tf.mul(xhat, g), b), xIn.shape);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const dy2d = tf.reshape(dy as tf.Tensor, [N, C]) as tf.Tensor2D;
        const dbeta = channelSum(dy2d);
        const dgamma = channelSum(tf.mul(dy2d, xh) as tf.Tensor2D);
        // dx = g * rstd / N * (N dy - sum(dy) - xhat * sum(dy xhat))
        const inner = tf.sub(tf.sub(tf.mul(dy2d, N), dbeta), tf.mul(xh, dgamma));
        const dx = tf.mul(inner, tf.div(tf.mul(gm, rs), N));
        return [tf.reshape(dx, xIn.shape), dgamma, dbeta];
      },
    };
  }) as any);
  const y = f(x, gamma, beta);
  return [y, mean!, variance!];
}

function batchNormTrainOnednn(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  const f = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, m, v] = batchNormTrainNative(xIn, g, b, epsilon);
    save([xIn, m, v, g]);
    mean = tf.keep(tf.clone(m)) as tf.Tensor1D;
    variance = tf.keep(tf.clone(v)) as tf.Tensor1D;
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ms, vs, gs] = saved;
        return batchNormGradNative(xs, dy as tf.Tensor, ms, vs, gs, epsilon);
      },
    };
  }) as any);
  const y = f(x, gamma, beta);
  return [y, mean!, variance!];
}

/** Inference with moving statistics: y = x * scale + shift, scale = gamma / sqrt(var + eps), shift = beta - mean * scale. */
export function batchNormInfer(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  epsilon: number,
): tf.Tensor {
  if (onednnActive()) return batchNormInferNative(x, gamma, beta, mean, variance, epsilon);
  return tf.tidy(() => {
    const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma);
    return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
  });
}

export interface BatchNormArgs {
  momentum?: number;
  epsilon?: number;
  name?: string;
}

/** Drop-in replacement for tf.layers.batchNormalization over the last axis. */
export class FastBatchNorm extends tf.layers.Layer {
  static className = 'NoisyBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;
  private movingUpdates = 0;

  constructor(args: BatchNormArgs = {}) {
    super({ name: args.name });
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const C = shape[shape.length - 1] as number;
    this.gamma = this.addWeight('gamma', [C], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [C], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [C], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [C], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const gamma = this.gamma.read() as tf.Tensor1D,
      beta = this.beta.read() as tf.Tensor1D;
    if (!kwargs.training) {
      return batchNormInfer(
        x,
        gamma,
        beta,
        this.movingMean.read() as tf.Tensor1D,
        this.movingVariance.read() as tf.Tensor1D,
        this.epsilon,
      );
    }
    const [y, mean, variance] = batchNormTrain(x, gamma, beta, this.epsilon);
    const m = Math.min(this.momentum, (1 + this.movingUpdates) / (10 + this.movingUpdates));
    this.movingUpdates++;
    tf.tidy(() => {
      const N = x.size / (x.shape[x.rank - 1] as number);
      const unbiased = tf.mul(variance, N / Math.max(N - 1, 1)); // Keras keeps the unbiased variance
      this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), m), tf.mul(mean, 1 - m)));
      this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), m), tf.mul(unbiased, 1 - m)));
    });
    tf.dispose([mean, variance]);
    return y;
  }

  /** Continue after `n` training calls, as if they had run here (resuming an in-training checkpoint). */
  seekTrainingCalls(n: number): void {
    this.movingUpdates = n;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(FastBatchNorm);
