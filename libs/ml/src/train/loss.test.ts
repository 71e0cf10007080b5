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

  // Labeled logits [ln 3, 0] (softmax [.75, .25]) with label 1, so the labeled target matters:
  //   smoothed [.05, .95]: CE = -(.05 ln .75 + .95 ln .25) = 1.3313637  (unsmoothed it would be ln 4 = 1.386294)
  const skewed = () =>
    tf.tensor2d([
      [Math.log(3), 0],
      [Math.log(3), 0],
    ]);
  it('noisy student loss - labeled examples get label smoothing too', () => {
    const v = noisyStudentLoss(skewed(), tf.tensor1d([1], 'int32'), null, o).dataSync()[0];
    expect(v).toBeCloseTo(1.3313637, 5);
  });

  it('noisy student loss - data-parallel shares scale the labeled and the unlabeled mean each by its own', () => {
    // 0.5 * 1.3313637 + 2 * 0.25 * 0.727127 = 1.0292454 (shares swapped: 0.25 * 1.33 + 2 * 0.5 * 0.727 = 1.0599)
    const v = noisyStudentLoss(
      skewed(),
      tf.tensor1d([1], 'int32'),
      { kind: 'soft', probabilities: tf.tensor2d([[0.6, 0.4]]), temperature: 1 },
      { ...o, shares: { labeled: 0.5, unlabeled: 0.25 } },
    ).dataSync()[0];
    expect(v).toBeCloseTo(1.0292454, 5);
  });

  it('noisy student loss - unlabeled logits are the rows after the labeled ones', () => {
    // labeled row [0, 0] (ln 2), unlabeled rows [ln 3, 0] and [0, ln 3] with hard labels 0 and 1:
    // both unlabeled CEs are 0.342613 (the smoothed target on the larger logit) -> ln 2 + 2 * 0.342613
    const v = noisyStudentLoss(
      tf.tensor2d([
        [0, 0],
        [Math.log(3), 0],
        [0, Math.log(3)],
      ]),
      labels(),
      { kind: 'hard', labels: tf.tensor1d([0, 1], 'int32') },
      o,
    ).dataSync()[0];
    expect(v).toBeCloseTo(Math.LN2 + 2 * 0.342613, 5);
  });

  it('noisy student loss - without unlabeled rows or targets it is the labeled loss alone', () => {
    const hard = { kind: 'hard' as const, labels: tf.tensor1d([], 'int32') };
    expect(noisyStudentLoss(tf.tensor2d([[0, 0]]), labels(), hard, o).dataSync()[0]).toBeCloseTo(Math.LN2, 5);
    expect(noisyStudentLoss(tf.tensor2d([[0, 0]]), labels(), null, o).dataSync()[0]).toBeCloseTo(Math.LN2, 5);
  });
});
