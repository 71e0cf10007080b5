// Seeded initialisers, so that the same seed builds the same network. Seeds start at 1:
// tfjs treats a seed of 0 as "no seed".
import * as tf from '@tensorflow/tfjs';

export class Initializers {
  private n = 0;
  constructor(private readonly seed: number) {}
  /** Conv kernels: N(0, sqrt(2 / fan_out)) as in the original (variance scaling, fan_out). */
  conv(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: this.seed * 7919 + ++this.n });
  }
  /** Dense kernels: uniform, glorot-style. */
  dense(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.seed * 7919 + ++this.n });
  }
}
