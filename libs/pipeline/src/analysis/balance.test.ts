import { describe, expect, it } from 'vitest';
import { compileExperiment, createRng } from '@noisy/core';
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
