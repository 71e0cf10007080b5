// The Noisy Student loss exactly as the original codes it (spec §3.1):
//   loss = mean_lab CE(smooth(onehot(y)), z) + unlabel_ratio * mean_unl CE(q, z)
// with q = p^(1/T) / sum p^(1/T) (soft, no smoothing) or smooth(onehot(argmax)) (hard).
// Labeled and unlabeled logits come from one forward pass over the concatenated batch.
import * as tf from '@tensorflow/tfjs';

export type UnlabeledTargets =
  | { kind: 'soft'; probabilities: tf.Tensor2D; temperature: number } // [U, C] teacher softmax
  | { kind: 'hard'; labels: tf.Tensor1D }; //                          [U] int32 teacher argmax

export interface LossOptions {
  classes: number;
  labelSmoothing: number;
  unlabelRatio: number;
  /**
   * Data parallelism: this rank's fraction of the global labeled and unlabeled batch. Each mean
   * is scaled by it, so that the ranks' losses (and gradients) sum to the global batch's.
   * @default { labeled: 1, unlabeled: 1 }
   */
  shares?: { labeled: number; unlabeled: number };
}

/** Label-smoothed one-hot: onehot * (1 - eps) + eps / C (TF softmax_cross_entropy semantics). */
export function smoothOneHot(labels: tf.Tensor1D, classes: number, eps: number): tf.Tensor2D {
  return tf.tidy(
    () => tf.add(tf.mul(tf.oneHot(tf.cast(labels, 'int32'), classes), 1 - eps), eps / classes) as tf.Tensor2D,
  );
}

/** Mean over rows of -sum_k target_k * log_softmax(logits)_k. */
export function crossEntropy(targets: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Soft targets from stored probabilities at temperature T: p^(1/T), renormalised. */
export function sharpen(probabilities: tf.Tensor2D, temperature: number): tf.Tensor2D {
  if (temperature === 1) return tf.clone(probabilities);
  return tf.tidy(() => {
    const powered = tf.pow(tf.maximum(probabilities, 1e-30), 1 / temperature);
    return tf.div(powered, tf.sum(powered, 1, true)) as tf.Tensor2D;
  });
}

/**
 * logits: [B + U, C] from one forward pass over [labeled; unlabeled]; labels: [B] int32.
 * Returns the data loss (weight decay is applied to the gradients by the optimiser step).
 */
export function noisyStudentLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  unlabeled: UnlabeledTargets | null,
  o: LossOptions,
): tf.Scalar {
  return tf.tidy(() => {
    const B = labels.shape[0];
    const U = logits.shape[0] - B;
    const labLogits = tf.slice(logits, [0, 0], [B, o.classes]);
    const shares = o.shares ?? { labeled: 1, unlabeled: 1 };
    let labLoss = crossEntropy(smoothOneHot(labels, o.classes, o.labelSmoothing), labLogits);
    if (shares.labeled !== 1) labLoss = tf.mul(labLoss, shares.labeled);
    if (!unlabeled || U === 0 || o.unlabelRatio === 0) return labLoss;
    const unlLogits = tf.slice(logits, [B, 0], [U, o.classes]);
    let targets: tf.Tensor2D;
    switch (unlabeled.kind) {
      case 'soft':
        targets = sharpen(unlabeled.probabilities, unlabeled.temperature);
        break;
      case 'hard':
        targets = smoothOneHot(unlabeled.labels, o.classes, o.labelSmoothing);
        break;
      // Stryker disable all: unreachable, the switch is exhaustive over a union (the compiler checks `never`)
      default: {
        const never: never = unlabeled;
        throw new Error(`unknown targets ${String(never)}`);
      }
      // Stryker restore all
    }
    return tf.add(labLoss, tf.mul(o.unlabelRatio * shares.unlabeled, crossEntropy(targets, unlLogits))) as tf.Scalar;
  });
}
