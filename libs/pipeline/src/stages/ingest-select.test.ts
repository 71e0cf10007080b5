// Ingest's reduce: hypergeometric draws (exact law, sums), the per-part selection (determinism,
// totals, shards, a class too small) and the per-part chooser that replays it record by record.
import { describe, expect, it } from 'vitest';
import { ConfigError, compileExperiment, createRng, type CompiledExperiment } from '@noisy/core';
import { apportion, hypergeometric, partChooser, selectIngest, type PartCounts } from './ingest-select.js';

const experiment = (data: Record<string, unknown>, seed = 1): CompiledExperiment =>
  compileExperiment({ seed, data: { source: { kind: 'synthetic' }, ...data }, students: [{}] });

// Three train parts of unequal class sizes, a test part and an extra unlabeled part.
const PARTS: PartCounts[] = [
  { split: 'train', records: 30, perClass: [10, 20] },
  { split: 'train', records: 12, perClass: [7, 5] },
  { split: 'train', records: 9, perClass: [0, 9] },
  { split: 'test', records: 25, perClass: [12, 13] },
  { split: 'unlabeled', records: 40, perClass: [] },
];

/** nCk as a float (small arguments). */
const choose = (n: number, k: number) => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
};

describe('ingest select', () => {
  it('hypergeometric - follows the exact law: 4 draws from 12 with 5 successes, over 20,000 seeds', () => {
    const freq = new Float64Array(5);
    for (let s = 0; s < 20_000; s++) freq[hypergeometric(createRng(s), 4, 5, 12)]++;
    for (let x = 0; x <= 4; x++) {
      const p = (choose(5, x) * choose(7, 4 - x)) / choose(12, 4);
      expect(Math.abs(freq[x] / 20_000 - p)).toBeLessThan(0.015);
    }
  });

  it('hypergeometric - the symmetric branches keep the law: 9 draws from 12 with 8 successes', () => {
    let mean = 0;
    for (let s = 0; s < 20_000; s++) mean += hypergeometric(createRng(s), 9, 8, 12) / 20_000;
    expect(mean).toBeCloseTo((9 * 8) / 12, 1);
    expect(hypergeometric(createRng(0), 12, 8, 12)).toBe(8);
    expect(hypergeometric(createRng(0), 0, 8, 12)).toBe(0);
  });

  it('apportion - sums to k, never exceeds a cell, and refuses more than the population', () => {
    const sizes = [5, 0, 17, 3, 1_000_000];
    for (let s = 0; s < 50; s++) {
      const x = apportion(createRng(s), 500_000, sizes);
      expect(x.reduce((a, b) => a + b, 0)).toBe(500_000);
      x.forEach((n, i) => expect(n).toBeLessThanOrEqual(sizes[i]));
    }
    expect(() => apportion(createRng(0), 26, [5, 20])).toThrow(RangeError);
  });

  it('selectIngest - N per class over parts: totals, per-class sums, shards, and the same result for the same seed', () => {
    const e = experiment({ labeledPerClass: 6, dev: 5, unlabeledShards: 4 }, 7);
    const a = selectIngest(e, PARTS, ['a', 'b'], createRng(e.seed).fork('ingest-select'));
    const b = selectIngest(e, PARTS, ['a', 'b'], createRng(e.seed).fork('ingest-select'));
    expect(a).toEqual(b);
    expect(a.counts).toEqual({ labeled: 12, dev: 5, unlabeled: 51 - 5 - 12 + 40, test: 25 });
    const perClass = [0, 0];
    for (const p of a.parts) if (p.labeled !== 'all') for (const [c, n] of p.labeled) perClass[c] += n;
    expect(perClass).toEqual([6, 6]);
    expect(a.parts.reduce((s, p) => s + p.dev.reduce((t, [, n]) => t + n, 0), 0)).toBe(5);
    expect(a.parts.reduce((s, p) => s + p.unlabeled, 0)).toBe(74);
    // 4 unlabeled parts (three train, one extra) and 4 shards: one shard each, in part order.
    expect(a.parts.map((p) => p.unlabeledShards)).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 0],
      [3, 1],
    ]);
    expect(a.shards).toEqual({ unlabeled: 4, dev: a.parts.filter((p) => p.devShards[1]).length, test: 1 });
    const c = selectIngest(e, PARTS, null, createRng(8).fork('ingest-select'));
    expect(c.classNames).toEqual(['0', '1']);
    expect(c.parts.map((p) => p.labeled)).not.toEqual(a.parts.map((p) => p.labeled));
  });

  it("selectIngest - labeledPerClass 'all' takes every record outside dev, classes of any size", () => {
    const e = experiment({ labeledPerClass: 'all', unlabeled: 10, testLimit: 20 });
    const s = selectIngest(e, PARTS, null, createRng(0));
    expect(s.counts).toEqual({ labeled: 51, dev: 0, unlabeled: 10, test: 20 });
    expect(s.parts.slice(0, 3).map((p) => p.labeled)).toEqual(['all', 'all', 'all']);
    expect(s.parts.map((p) => p.unlabeled)).toEqual([0, 0, 0, 0, 10]);
    expect(s.parts[3]).toMatchObject({ test: 20, testShards: [0, 1] });
  });

  it('selectIngest - a class smaller than labeledPerClass is a ConfigError naming the field and the class', () => {
    const e = experiment({ labeledPerClass: 18, dev: 0 });
    expect(() => selectIngest(e, PARTS, ['shirt', 'shoe'], createRng(0))).toThrow(ConfigError);
    expect(() => selectIngest(e, PARTS, ['shirt', 'shoe'], createRng(0))).toThrow(
      /data\.labeledPerClass: asks 18 labeled examples per class but class 'shirt' has only 17/,
    );
  });

  it('selectIngest - uniform over the whole source: each record of a class is labeled about N/size of the time', () => {
    // Class 0 spans parts 0 and 1 (10 + 7 records): a record of part 1 is labeled with p = 6/17.
    const e = experiment({ labeledPerClass: 6, dev: 0 });
    let inPart1 = 0;
    const seeds = 3000;
    for (let s = 0; s < seeds; s++) {
      const sel = selectIngest(e, PARTS, null, createRng(s));
      const l = sel.parts[1].labeled as Array<[number, number]>;
      inPart1 += l.find(([c]) => c === 0)?.[1] ?? 0;
    }
    expect(inPart1 / seeds / 7).toBeCloseTo(6 / 17, 1);
  });

  it('partChooser - takes exactly the planned dev, labeled and unlabeled records per class and shard', () => {
    const e = experiment({ labeledPerClass: 6, dev: 5, unlabeledShards: 8 }, 3);
    const sel = selectIngest(e, PARTS.slice(0, 1), null, createRng(3));
    const plan = sel.parts[0];
    const labels = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 0 : 1)); // 10 of class 0, interleaved
    const run = (seed: number) => {
      const choose = partChooser(plan, PARTS[0], createRng(seed));
      return labels.map((y) => choose(y));
    };
    const roles = run(11);
    expect(run(11)).toEqual(roles);
    const count = (split: string) => roles.filter((r) => r?.split === split).length;
    expect(count('dev')).toBe(5);
    expect(count('labeled')).toBe(12);
    expect(count('unlabeled')).toBe(plan.unlabeled);
    const shards = new Map<number, number>();
    for (const r of roles) if (r?.split === 'unlabeled') shards.set(r.shard, (shards.get(r.shard) ?? 0) + 1);
    const [, k] = plan.unlabeledShards;
    const even = Array.from({ length: k }, (_, j) => Math.floor(plan.unlabeled / k) + (j < plan.unlabeled % k ? 1 : 0));
    expect([...shards.values()].sort()).toEqual(even.sort());
    for (const c of [0, 1]) expect(roles.filter((r, i) => r?.split === 'labeled' && labels[i] === c)).toHaveLength(6);
  });

  it("partChooser - an extra unlabeled part under 'all' and a cap keeps a seeded random subset of the planned size", () => {
    const e = experiment({ labeledPerClass: 'all', unlabeled: 10, unlabeledShards: 2 });
    const plan = selectIngest(e, PARTS, null, createRng(0)).parts[4];
    expect(plan).toMatchObject({ unlabeled: 10, unlabeledShards: [0, 2], inPlace: false });
    let firstHalf = 0;
    for (let s = 0; s < 200; s++) {
      const choose = partChooser(plan, PARTS[4], createRng(s));
      const roles = Array.from({ length: 40 }, () => choose(null));
      const kept = roles.flatMap((r, i) => (r ? [i] : []));
      expect(kept).toHaveLength(10);
      expect(roles.filter((r) => r?.shard === 0)).toHaveLength(5);
      firstHalf += kept.filter((i) => i < 20).length;
    }
    expect(firstHalf / 2000).toBeCloseTo(0.5, 1);
  });
});
