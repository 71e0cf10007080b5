// Seeded initialisers, so that the same seed builds the same network. Seeds start at 1:
// tfjs treats a seed of 0 as "no seed".
import * as tf from '@tensorflow/tfjs';

export class Initializers {
  private n = 0;
  constructor(private readonly seed: number) {}
  /** Conv kernels: N(0, sqrt(2 / fan_out)) as in the original (variance scaling, fan_out). */
  conv(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.varianceScaling({
      scale: 2,
      mode: 'fanOut',
      distribution: 'normal',
      seed: this.seed * 7919 + ++this.n,
    });
  }
  /** Classifier kernels: U(-1/sqrt(units), 1/sqrt(units)) as in the original's dense initializer. */
  classifier(units: number): ReturnType<typeof tf.initializers.glorotUniform> {
    const limit = 1 / Math.sqrt(units);
    return tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: this.seed * 7919 + ++this.n });
  }
  /** Hidden dense kernels (the MLP): glorot-uniform. */
  dense(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.seed * 7919 + ++this.n });
  }
}
