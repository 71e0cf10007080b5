// Exponential moving average of every weight (trainable and batch-norm statistics), with TF's
// num_updates warm-up: decay_n = min(decay, (1 + n) / (10 + n)). Evaluation and prediction use it.
// On wasm with the oneDNN addon each update is one native kernel per weight.
import * as tf from '@tensorflow/tfjs';
import { emaNative } from '../kernels/onednn-updates.js';
import { onednnActive } from '../kernels/onednn-state.js';

export function emaDecayAt(decay: number, numUpdates: number): number {
  return Math.min(decay, (1 + numUpdates) / (10 + numUpdates));
}

export class Ema {
  readonly shadows: tf.Variable[];
  private updates = 0;

  constructor(
    private readonly weights: tf.LayerVariable[],
    private readonly decay: number,
  ) {
    this.shadows = tf.tidy(() => weights.map((w) => tf.variable(w.read().clone(), false)));
  }

  /** shadow <- shadow - (1 - d) (shadow - w), after each optimiser step. */
  update(): void {
    const d = emaDecayAt(this.decay, this.updates++);
    const native = onednnActive();
    tf.tidy(() => {
      this.weights.forEach((w, i) => {
        const s = this.shadows[i];
        const value = w.read();
        s.assign(
          native && value.dtype === 'float32' ? emaNative(s, value, d) : tf.sub(s, tf.mul(tf.sub(s, value), 1 - d)),
        );
      });
    });
  }

  /** How many updates the warm-up formula has seen (checkpointed with the shadows). */
  get numUpdates(): number {
    return this.updates;
  }
  restoreUpdates(n: number): void {
    this.updates = n;
  }

  /** The averaged values, in the order of the model's weights. */
  values(): tf.Tensor[] {
    return this.shadows;
  }

  dispose(): void {
    for (const s of this.shadows) s.dispose();
  }
}
