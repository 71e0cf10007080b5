import { describe, expect, it } from 'vitest';
import { BINS, binOf, gridBin, thresholdOf } from './grid.js';

describe('grid', () => {
  it('grid - probabilities fall in floor(p * 100) bins, p >= 1 in the last one', () => {
    expect([0, 0.009, 0.01, 0.299999, 0.3, 0.93, 0.999, 1, 1.2].map(binOf)).toEqual([
      0, 0, 1, 29, 30, 93, 99, 100, 100,
    ]);
    expect(BINS).toBe(101);
  });

  it('grid - thresholds and bins convert both ways, off-grid thresholds give null', () => {
    for (const b of [0, 1, 29, 30, 57, 100]) expect(gridBin(thresholdOf(b))).toBe(b);
    expect(gridBin(0.3)).toBe(30);
    expect(gridBin(0.305)).toBeNull();
    expect(binOf(thresholdOf(57))).toBe(57); // a probability exactly on a grid point is at or above it
  });
});
