// Dropout whose masks come from a seeded sequence (tfjs' Dropout with a fixed seed would reuse
// one mask every step; without a seed it is unreproducible). Identity at inference.
import * as tf from '@tensorflow/tfjs';

export class SeededDropout extends tf.layers.Layer {
  static className = 'NoisySeededDropout';
  readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(args: { rate: number; seed?: number; name?: string }) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed ?? 0;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate <= 0) return x;
    return tf.dropout(x, this.rate, undefined, this.seed * 100_019 + ++this.calls);
  }

  /** Continue after `n` training calls, as if they had run here (resuming an in-training checkpoint). */
  seekTrainingCalls(n: number): void {
    this.calls = n;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);
