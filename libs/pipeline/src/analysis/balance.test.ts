import { describe, expect, it } from 'vitest';
import { ConfigError, compileExperiment, createRng, type FilterSpec } from '@noisy/core';
import { computeThresholds, copiesFor, shardStats, type Prediction } from './balance.js';

const filter = (o: Record<string, unknown> = {}) =>
  compileExperiment({ data: { source: { kind: 'synthetic' } }, students: [{}], filter: o }).filter;
const preds = (label: number, probs: number[], prefix = `c${label}`): Prediction[] =>
  probs.map((prob, i) => ({ id: `${prefix}-${i}`, label, prob }));

// Class 0: over-represented (6 images, N = 3); class 1: under-represented (2 images >= 0.3, one below);
// class 2: never reaches N above the minimum and has one image; class 3: empty.
const shardA = [...preds(0, [0.99, 0.97, 0.95]), ...preds(1, [0.8, 0.2])];
const shardB = [...preds(0, [0.95, 0.6, 0.5], 'c0b'), ...preds(1, [0.45], 'c1b'), ...preds(2, [0.31])];

describe('balance', () => {
  it('balance - thresholds from summed histograms match the hand-computed table', () => {
    const stats = [shardStats(shardA, 4, null), shardStats(shardB, 4, null)];
    expect(stats[0].histogram[0][99]).toBe(1);
    const t = computeThresholds(stats, 3, filter());
    // class 0: from 1.00 down, A = 1 at .99, 2 at .97, 4 at .95 >= 3 -> t* = .95, A = 4
    expect(t.classes[0]).toEqual({ bin: 95, available: 4 });
    // class 1: only 0.8 and 0.45 are >= 0.3 -> falls to min_threshold with A = 2
    expect(t.classes[1]).toEqual({ bin: 30, available: 2 });
    expect(t.classes[2]).toEqual({ bin: 30, available: 1 });
    expect(t.classes[3]).toEqual({ bin: 30, available: 0 });
  });

  it('balance - copies: over-represented subsampled, under-represented duplicated, low confidence dropped', () => {
    const spec = filter();
    const t = computeThresholds([shardStats([...shardA, ...shardB], 4, null)], 3, spec);
    const rng = createRng(1);
    const total = (ps: Prediction[]) => ps.reduce((a, p) => a + copiesFor(p, t, spec, rng), 0);
    // class 0: N / A = 3 / 4: each of the 4 images >= .95 kept once with probability .75; .6 and .5 dropped
    const c0 = [...preds(0, [0.99, 0.97, 0.95]), ...preds(0, [0.95, 0.6, 0.5], 'c0b')].map((p) =>
      copiesFor(p, t, spec, rng),
    );
    expect(c0.slice(4)).toEqual([0, 0]);
    expect(c0.every((c) => c === 0 || c === 1)).toBe(true);
    // ... and the probability is .75: over 4,000 draws the mean is within 0.03 (4.4 standard errors)
    let kept = 0;
    for (let i = 0; i < 4000; i++) kept += copiesFor({ id: 'w', label: 0, prob: 0.97 }, t, spec, rng);
    expect(Math.abs(kept / 4000 - 0.75)).toBeLessThan(0.03);
    // class 1: N / A = 1.5: each kept image gets 1 or 2 copies; the 0.2 image is dropped
    expect(copiesFor({ id: 'x', label: 1, prob: 0.2 }, t, spec, rng)).toBe(0);
    for (let i = 0; i < 20; i++) expect([1, 2]).toContain(copiesFor({ id: 'y', label: 1, prob: 0.8 }, t, spec, rng));
    // class 2: N / A = 3 -> exactly 3 copies
    expect(copiesFor({ id: 'z', label: 2, prob: 0.31 }, t, spec, rng)).toBe(3);
    // the expected count per class is N: average over many draws
    let sum = 0;
    for (let i = 0; i < 4000; i++) sum += total(preds(1, [0.8, 0.45]));
    expect(sum / 4000).toBeCloseTo(3, 1);
  });

  it('balance - upsample=false caps copies at one and use-all keeps every image above the minimum once', () => {
    const all = [...shardA, ...shardB];
    const noUpSpec = filter({ upsample: false });
    const noUp = computeThresholds([shardStats(all, 4, null)], 3, noUpSpec);
    expect(copiesFor({ id: 'z', label: 2, prob: 0.31 }, noUp, noUpSpec, createRng(0))).toBe(1);
    const useAllSpec = filter({ mode: 'use-all' });
    const useAll = computeThresholds([shardStats(all, 4, null)], 3, useAllSpec);
    expect(all.map((p) => copiesFor(p, useAll, useAllSpec, createRng(0)))).toEqual(
      all.map((p) => (p.prob >= 0.3 ? 1 : 0)),
    );
  });

  it('balance - exact top-N keeps the N most confident per class across shards, ties broken by id', () => {
    const spec = filter({ mode: 'top-n' });
    const a = [...preds(0, [0.9, 0.7, 0.7], 'a')];
    const b = [...preds(0, [0.8, 0.7, 0.2], 'b')];
    const t = computeThresholds([shardStats(a, 1, 3), shardStats(b, 1, 3)], 3, spec);
    const kept = [...a, ...b]
      .filter((p) => copiesFor(p, t, spec, createRng(0)) === 1)
      .map((p) => p.id)
      .sort();
    expect(kept).toEqual(['a-0', 'a-1', 'b-0']); // 0.9, 0.8, then the first 0.7 by id ('a-1' < 'a-2' < 'b-1')
  });

  it('balance - the same seed gives the same copies, another seed other copies', () => {
    const many = preds(
      0,
      Array.from({ length: 200 }, (_, i) => 0.5 + i / 500),
    );
    const spec = filter();
    const t = computeThresholds([shardStats(many, 1, null)], 148, spec); // A = 150 -> keep probability 148/150
    const draw = (seed: number) => {
      const r = createRng(seed);
      return many.map((p) => copiesFor(p, t, spec, r));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});

// Boundaries, derived by hand from the spec (§1.5): t* is the highest bin with at least N images
// at or above it, so an image exactly on t* is kept and A may equal N; the minimum threshold's own
// bin counts. N = 3; class 0: .9 .8 .8 .5; class 1: .4 .3 (never reaches N); class 2: none.
const table = [...preds(0, [0.9, 0.8, 0.8, 0.5]), ...preds(1, [0.4, 0.3])];
const statsOf = (ps: Prediction[], topN: number | null = null) => [shardStats(ps, 3, topN)];

describe('balance boundaries', () => {
  it('balance - A may equal N, and the minimum threshold bin counts', () => {
    const t = computeThresholds(statsOf(table), 3, filter());
    // class 0: A = 1 at .90, 3 at .80 = N -> t* = .80 (not .50 with A = 4)
    expect(t.classes).toEqual([
      { bin: 80, available: 3 },
      { bin: 30, available: 2 },
      { bin: 30, available: 0 },
    ]);
    expect(t.expectedKept).toBe(3 + 3); // upsampled: N per class that has any image
    const noUp = computeThresholds(statsOf(table), 3, filter({ upsample: false }));
    expect(noUp.expectedKept).toBe(3 + 2);
  });

  it('balance - a prediction exactly on its class threshold is kept; one grid step below is not', () => {
    const spec = filter();
    const t = computeThresholds(statsOf(table), 3, spec);
    const rng = createRng(3);
    expect(copiesFor({ id: 'on', label: 0, prob: 0.8 }, t, spec, rng)).toBe(1); // N / A = 1: exactly one copy
    expect(copiesFor({ id: 'below', label: 0, prob: 0.79 }, t, spec, rng)).toBe(0);
    expect([1, 2]).toContain(copiesFor({ id: 'min', label: 1, prob: 0.3 }, t, spec, rng)); // N / A = 1.5
  });

  it('balance - a class the statistics never saw keeps nothing (no division by A = 0)', () => {
    for (const mode of ['balanced', 'top-n'] as const) {
      const spec = filter({ mode });
      const t = computeThresholds(statsOf(table, 3), 3, spec);
      expect(copiesFor({ id: 'x', label: 2, prob: 0.99 }, t, spec, createRng(0))).toBe(0);
    }
  });

  it('balance - use-all keeps every image at or above the minimum, counted per class', () => {
    const spec = filter({ mode: 'use-all' });
    const t = computeThresholds(statsOf(table), 3, spec);
    expect(t.classes.map((c) => [c.bin, c.available])).toEqual([
      [30, 4],
      [30, 2],
      [30, 0],
    ]);
    expect(t.expectedKept).toBe(6);
    expect(copiesFor({ id: 'min', label: 1, prob: 0.3 }, t, spec, createRng(0))).toBe(1);
    expect(copiesFor({ id: 'low', label: 1, prob: 0.29 }, t, spec, createRng(0))).toBe(0);
  });

  it('balance - each shard keeps its top N by probability, ties by id, before the reduce', () => {
    const shard = [
      { id: 'd', label: 0, prob: 0.5 },
      { id: 'c', label: 0, prob: 0.7 },
      { id: 'a', label: 0, prob: 0.9 },
      { id: 'b', label: 0, prob: 0.7 },
    ];
    expect(shardStats(shard, 2, 2).top).toEqual([
      [
        { p: 0.9, id: 'a' },
        { p: 0.7, id: 'b' },
      ],
      [],
    ]);
    expect(shardStats(shard, 2, null).top).toBeUndefined();
  });

  it('balance - top-N counts candidates at the minimum, not below it, and never more than N', () => {
    const spec = filter({ mode: 'top-n' });
    const t = computeThresholds(statsOf([...preds(0, [0.3, 0.2]), ...preds(1, [0.9, 0.8, 0.4], 'z')], 5), 2, spec);
    expect(t.classes[0]).toEqual({ bin: 30, available: 1, cutoff: { p: 0.3, id: 'c0-0' } });
    expect(t.classes[1]).toEqual({ bin: 80, available: 2, cutoff: { p: 0.8, id: 'z-1' } }); // bin: unused in top-n
    expect(t.expectedKept).toBe(3);
    expect(copiesFor({ id: 'c0-0', label: 0, prob: 0.3 }, t, spec, createRng(0))).toBe(1);
    // below the cutoff's probability, whatever the id ('a' sorts before 'z-1')
    expect(copiesFor({ id: 'a', label: 1, prob: 0.4 }, t, spec, createRng(0))).toBe(0);
    // thresholds from statistics without top lists (another mode's) keep nothing
    const none = computeThresholds(statsOf(table), 2, spec);
    expect(none.classes.map((c) => c.available)).toEqual([0, 0, 0]);
  });

  it('balance - no shard statistics, or a minimum off the 0.01 grid, is a ConfigError naming the field', () => {
    expect(() => computeThresholds([], 3, filter())).toThrow(ConfigError);
    expect(() => computeThresholds([], 3, filter())).toThrow(/at least one shard/);
    const off: FilterSpec = { ...filter(), minThreshold: 0.305 };
    expect(() => computeThresholds(statsOf(table), 3, off)).toThrow(/filter\.minThreshold.*0\.01 grid/);
  });
});

describe('labels', () => {
  it('labels - a label outside [0, classes) names the shard and record', async () => {
    const { labelsOf } = await import('../records/context.js');
    expect(() =>
      labelsOf(
        [
          { id: 'a', label: 1 },
          { id: 'b', label: 10 },
        ],
        10,
        'labeled/shard-00000-of-00001.tfrecord',
      ),
    ).toThrow(/shard-00000-of-00001.tfrecord \(record 1\): label 10 outside \[0, 10\)/);
  });
});
