// Stochastic depth ("drop connect") on an identity-skip block: out = shortcut + residual * mask / keep,
// with one Bernoulli(keep) draw per example, only in training; at inference out = shortcut + residual.
// Serializable, so checkpoints that contain it load again.
import * as tf from '@tensorflow/tfjs';

export interface StochasticDepthArgs {
  dropRate: number;
  seed?: number;
  name?: string;
}

export class StochasticDepth extends tf.layers.Layer {
  static className = 'NoisyStochasticDepth';
  readonly dropRate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(args: StochasticDepthArgs) {
    super({ name: args.name });
    this.dropRate = args.dropRate;
    this.seed = args.seed ?? 0;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const [shortcut, residual] = inputs as tf.Tensor[];
      if (!kwargs.training || this.dropRate <= 0) return tf.add(shortcut, residual);
      const keep = 1 - this.dropRate;
      const shape = [residual.shape[0] as number, ...residual.shape.slice(1).map(() => 1)];
      // floor(keep + U[0,1)) is Bernoulli(keep), as in the original utils.drop_connect.
      const mask = tf.floor(tf.add(keep, tf.randomUniform(shape, 0, 1, 'float32', this.seed * 100_003 + ++this.calls)));
      return tf.add(shortcut, tf.mul(residual, tf.div(mask, keep)));
    });
  }

  /** Continue after `n` training calls, as if they had run here (resuming an in-training checkpoint). */
  seekTrainingCalls(n: number): void {
    this.calls = n;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dropRate: this.dropRate, seed: this.seed };
  }
}
tf.serialization.registerClass(StochasticDepth);

/** The drop rate of block `index` of `total`: linear from 0 (first block) towards `rate`, as in the original. */
export function linearDropRate(rate: number, index: number, total: number): number {
  return total > 0 ? (rate * index) / total : 0;
}
