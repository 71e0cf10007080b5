// Optimisers applied to explicit gradients. RMSProp follows TF's ApplyRMSProp, which the original
// uses: ms starts at ones, eps sits inside the square root, momentum accumulates lr * g / sqrt(ms + eps).
//   ms <- rho ms + (1 - rho) g^2;  mom <- mu mom + lr g / sqrt(ms + eps);  w <- w - mom
// Weight decay (coefficient on 1/2 ||w||^2 over non-BN weights) is added to the gradient: wd * w.
// On wasm with the oneDNN addon an RMSProp step is one native kernel per variable.
import * as tf from '@tensorflow/tfjs';
import { rmspropNative } from '../kernels/onednn-updates.js';
import { onednnActive } from '../kernels/onednn-state.js';

export interface OptimizerOptions {
  kind: 'rmsprop' | 'adam';
  weightDecay: number;
  decayed: (name: string) => boolean;
}

export class Optimizer {
  private readonly slots: Map<string, tf.Variable[]> = new Map();
  private step = 0;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly o: OptimizerOptions,
  ) {
    for (const v of vars) {
      // tidy disposes the initial values; variables survive it.
      const slots = tf.tidy(() =>
        this.o.kind === 'rmsprop'
          ? [tf.variable(tf.onesLike(v), false), tf.variable(tf.zerosLike(v), false)] // ms = 1, mom = 0
          : [tf.variable(tf.zerosLike(v), false), tf.variable(tf.zerosLike(v), false)],
      ); // m, v
      this.slots.set(v.name, slots);
    }
  }

  /** Apply one update with learning rate `lr`; `grads` are keyed by variable name and left to the caller to dispose. */
  apply(grads: Record<string, tf.Tensor>, lr: number): void {
    this.step++;
    const native = this.o.kind === 'rmsprop' && onednnActive();
    tf.tidy(() => {
      for (const v of this.vars) {
        let g = grads[v.name];
        if (!g) continue;
        if (native && g.dtype === 'float32') {
          const [a, b] = this.slots.get(v.name)!;
          const weightDecay = this.o.weightDecay > 0 && this.o.decayed(v.name) ? this.o.weightDecay : 0;
          const [w2, a2, b2] = rmspropNative(v, g, a, b, { lr, rho: 0.9, momentum: 0.9, epsilon: 1e-3, weightDecay });
          a.assign(a2);
          b.assign(b2);
          v.assign(w2);
          continue;
        }
        if (this.o.weightDecay > 0 && this.o.decayed(v.name)) g = tf.add(g, tf.mul(v, this.o.weightDecay));
        const [a, b] = this.slots.get(v.name)!;
        if (this.o.kind === 'rmsprop') {
          a.assign(tf.add(tf.mul(a, 0.9), tf.mul(tf.square(g), 0.1)));
          b.assign(tf.add(tf.mul(b, 0.9), tf.div(tf.mul(g, lr), tf.sqrt(tf.add(a, 1e-3)))));
          v.assign(tf.sub(v, b));
        } else {
          const b1 = 0.9,
            b2 = 0.999;
          a.assign(tf.add(tf.mul(a, b1), tf.mul(g, 1 - b1)));
          b.assign(tf.add(tf.mul(b, b2), tf.mul(tf.square(g), 1 - b2)));
          const lrT = (lr * Math.sqrt(1 - b2 ** this.step)) / (1 - b1 ** this.step);
          v.assign(tf.sub(v, tf.div(tf.mul(a, lrT), tf.add(tf.sqrt(b), 1e-7))));
        }
      }
    });
  }

  /** Slot variables in a fixed order (per variable: ms, mom or m, v) and the update count, for checkpoints. */
  state(): { step: number; slots: tf.Variable[] } {
    return { step: this.step, slots: this.vars.flatMap((v) => this.slots.get(v.name)!) };
  }

  /** Continue from a checkpoint: the slots were assigned by the caller; this restores the update count. */
  restoreStep(step: number): void {
    this.step = step;
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const t of s) t.dispose();
    this.slots.clear();
  }
}
