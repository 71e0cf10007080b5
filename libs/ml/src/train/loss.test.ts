import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import { noisyStudentLoss } from './loss.js';

// One labeled row (logits [0, 0], label 0) and one unlabeled row (logits [ln 3, 0], softmax [.75, .25]),
// teacher distribution [.6, .4], smoothing 0.1, unlabel_ratio 2. By hand:
//   labeled CE  = -(.95 ln .5 + .05 ln .5) = ln 2 = 0.693147
//   soft T=1    = -(.6 ln .75 + .4 ln .25) = 0.727127          -> 0.693147 + 2 * 0.727127 = 2.147401
//   soft T=0.5  : q = [.36, .16] / .52 = [.692308, .307692]     -> CE 0.625716 -> 1.944579
//   hard        : smoothed one-hot of argmax = [.95, .05]       -> CE 0.342613 -> 1.378373
describe('noisy student loss', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  const logits = () =>
    tf.tensor2d([
      [0, 0],
      [Math.log(3), 0],
    ]);
  const labels = () => tf.tensor1d([0], 'int32');
  const o = { classes: 2, labelSmoothing: 0.1, unlabelRatio: 2 };

  it('noisy student loss - soft targets at T = 1 match the hand-computed value', () => {
    const v = noisyStudentLoss(
      logits(),
      labels(),
      { kind: 'soft', probabilities: tf.tensor2d([[0.6, 0.4]]), temperature: 1 },
      o,
    ).dataSync()[0];
    expect(v).toBeCloseTo(2.147401, 5);
  });

  it('noisy student loss - soft targets at T = 0.5 are sharpened and renormalised', () => {
    const v = noisyStudentLoss(
      logits(),
      labels(),
      { kind: 'soft', probabilities: tf.tensor2d([[0.6, 0.4]]), temperature: 0.5 },
      o,
    ).dataSync()[0];
    expect(v).toBeCloseTo(1.944579, 5);
  });

  it('noisy student loss - hard targets are the smoothed one-hot of the argmax', () => {
    const v = noisyStudentLoss(
      logits(),
      labels(),
      { kind: 'hard', labels: tf.tensor1d([0], 'int32') },
      o,
    ).dataSync()[0];
    expect(v).toBeCloseTo(1.378373, 5);
  });

  it('noisy student loss - unlabel_ratio 0 is the supervised labeled loss', () => {
    const v = noisyStudentLoss(
      logits(),
      labels(),
      { kind: 'hard', labels: tf.tensor1d([1], 'int32') },
      { ...o, unlabelRatio: 0 },
    ).dataSync()[0];
    expect(v).toBeCloseTo(Math.LN2, 5);
  });
});
