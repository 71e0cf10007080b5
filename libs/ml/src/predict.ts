// Inference: softmax probabilities of a model (EMA weights, inference mode, no noise) over an
// example set, batch by batch. Memory stays at one batch of activations.
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@noisy/core';
import { makeBatch, type InputSet, type InputStats } from './input.js';

export async function predictProbabilities(
  model: tf.LayersModel,
  set: InputSet,
  stats: InputStats,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const classes = model.outputs[0].shape[1] as number;
  const out = new Float32Array(set.count * classes);
  const rng = createRng(0); // unused: no noise at inference
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const indices = Int32Array.from({ length: n }, (_, k) => start + k);
    const x = makeBatch([{ set, indices }], stats, rng);
    const probs = tf.tidy(() => tf.softmax(model.apply(x, { training: false }) as tf.Tensor2D)); // [n, C]
    out.set(await probs.data(), start * classes);
    tf.dispose([x, probs]);
    onProgress?.(start + n, set.count);
    if ((start / batchSize) % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Index of the largest entry of each row of a [N * C] buffer. */
export function argmaxRows(probs: Float32Array, classes: number): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}
