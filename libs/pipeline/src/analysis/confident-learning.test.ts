import { describe, expect, it } from 'vitest';
import {
  confidentJoint,
  findIssuesByConfidentLearning,
  perClassThresholds,
  roundPreservingSum,
} from './confident-learning.js';
import { stratifiedFolds } from '../report/label-issues.js';

// Two classes, three examples each: example 2 (labeled 0) looks like class 1; example 5 (labeled
// 1) is closer to class 0 but below class 0's threshold, so it is not confidently anything.
const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);
const probs = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.2, 0.8, 0.1, 0.9, 0.3, 0.7, 0.6, 0.4]);

describe('confident learning', () => {
  it('confident learning - per-class thresholds are the mean probability of each class over its labeled examples', () => {
    const t = perClassThresholds(probs, labels, 2);
    expect(t[0]).toBeCloseTo((0.9 + 0.8 + 0.2) / 3, 6);
    expect(t[1]).toBeCloseTo((0.9 + 0.7 + 0.4) / 3, 6);
  });

  it('confident learning - the calibrated confident joint counts given x true, rows summing to the label counts', () => {
    // Counted: [[2, 1], [0, 2]] (example 5 is confident in no class); row 1 calibrated to 3 examples.
    expect(confidentJoint(probs, labels, 2)).toEqual([
      [2, 1],
      [0, 3],
    ]);
  });

  it('confident learning - prunes by noise rate: the mislabeled example only, not a merely uncertain one', () => {
    expect(findIssuesByConfidentLearning(probs, labels, 2)).toEqual([false, false, true, false, false, false]);
  });

  it('confident learning - an example the model predicts as labeled is never an issue; a class of one keeps it', () => {
    const y = Int32Array.from([0, 0, 1]);
    const p = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.9, 0.1]);
    // Example 1 is confidently class 1 but class 1 has one example: cleanlab's min_examples_per_class.
    expect(findIssuesByConfidentLearning(p, y, 2)).toEqual([false, true, false]);
  });

  it("confident learning - rounding keeps each row's rounded sum, as cleanlab's round_preserving_sum", () => {
    expect(roundPreservingSum([0.4, 0.4, 0.2])).toEqual([0, 1, 0]);
    expect(roundPreservingSum([1.6, 1.6, 0.8])).toEqual([1, 2, 1]);
    expect(roundPreservingSum([2.5, 0.5, 1])).toEqual([2, 1, 1]); // halves to even (2, 0), then the sum 4 restored
  });

  it('stratified folds - every fold holds each class about equally, and the seed fixes the assignment', () => {
    const y = Int32Array.from({ length: 50 }, (_, i) => i % 3);
    const a = stratifiedFolds(y, 3, 5, 7);
    expect(Array.from(stratifiedFolds(y, 3, 5, 7))).toEqual(Array.from(a));
    expect(Array.from(stratifiedFolds(y, 3, 5, 8))).not.toEqual(Array.from(a));
    for (let k = 0; k < 5; k++) {
      for (let c = 0; c < 3; c++) {
        const n = y.filter((v, i) => v === c && a[i] === k).length;
        expect(n).toBeGreaterThanOrEqual(3);
        expect(n).toBeLessThanOrEqual(4);
      }
    }
  });
});
