// The generation a run recommends is chosen on dev, never on test.
import { describe, expect, it } from 'vitest';
import { bestOnDev } from './summary.js';

const gen = (generation: number, dev: number | null) => ({
  generation,
  dev: dev === null ? null : { top1: dev, top5: 1, ece: 0 },
});

describe('summary', () => {
  it('bestOnDev - the highest dev top-1, the later generation on a tie; none without dev', () => {
    expect(bestOnDev([gen(0, 0.8), gen(1, 0.86), gen(2, 0.84)])).toBe(1);
    expect(bestOnDev([gen(0, 0.8), gen(1, 0.84), gen(2, 0.84)])).toBe(2);
    expect(bestOnDev([gen(0, 0.9), gen(1, 0.5)])).toBe(0);
    expect(bestOnDev([gen(0, null), gen(1, null)])).toBeNull();
    expect(bestOnDev([])).toBeNull();
  });
});
