// Filtering and balancing of pseudo-labels (spec §1.5) as pure, seeded functions, split into
// map (per-shard histogram) and reduce (per-class thresholds) so shards run on different machines.
//
//   histogram: per predicted class, counts of max-probability per grid bin (core's grid.ts)
//   thresholds: per class, the highest bin t with at least N images at or above it
//               (else the bin of minThreshold); A_c = images at or above t
//   copies: for an image of class c with bin(p) >= t_c: floor(N / A_c) + Bernoulli(frac(N / A_c))
// The filter settings (mode, upsample, minThreshold) come from the experiment's `filter` only;
// `Thresholds` holds what the reduce computed from the data.
import { BINS, ConfigError, binOf, gridBin, type FilterSpec, type Rng } from '@noisy/core';

/** A kept-candidate for exact top-N: (probability, id), ordered by probability desc then id asc. */
export interface Ranked {
  p: number;
  id: string;
}
const before = (a: Ranked, b: Ranked) => a.p > b.p || (a.p === b.p && a.id < b.id);

export interface ShardStats {
  classes: number;
  /** [class][bin] counts. */
  histogram: number[][];
  /** Per class, the shard's best `topN` candidates (only in top-n mode). */
  top?: Ranked[][];
}

export interface Prediction {
  id: string;
  label: number;
  prob: number;
}

/** Map: the histogram of one shard's predictions. */
export function shardStats(preds: Iterable<Prediction>, classes: number, topN: number | null): ShardStats {
  const acc = shardStatsAccumulator(classes, topN);
  for (const p of preds) acc.add(p);
  return acc.result();
}

/** The same map, fed one prediction at a time (from a stream). */
export function shardStatsAccumulator(
  classes: number,
  topN: number | null,
): { add(p: Prediction): void; result(): ShardStats } {
  const histogram = Array.from({ length: classes }, () => new Array<number>(BINS).fill(0));
  const top: Ranked[][] | undefined = topN ? Array.from({ length: classes }, () => []) : undefined;
  return {
    add(p) {
      histogram[p.label][binOf(p.prob)]++;
      if (top) top[p.label].push({ p: p.prob, id: p.id });
    },
    result() {
      if (top && topN)
        for (let c = 0; c < classes; c++)
          top[c] = top[c].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).slice(0, topN);
      return { classes, histogram, top };
    },
  };
}

export interface ClassThreshold {
  /** Threshold t* as a grid bin. */
  bin: number;
  /** A_c: images of the class at or above t*. */
  available: number;
  /** Top-n mode: the last kept candidate in (p desc, id asc) order. */
  cutoff?: Ranked | null;
}

export interface Thresholds {
  /** N: the target per class. */
  perClass: number;
  classes: ClassThreshold[];
  expectedKept: number;
}

/** Reduce: sum the shards' histograms and pick each class's threshold. */
export function computeThresholds(shards: ShardStats[], perClass: number, spec: FilterSpec): Thresholds {
  if (shards.length === 0) throw new ConfigError('filter', 'thresholds need the statistics of at least one shard');
  const classes = shards[0].classes;
  const minBin = minBinOf(spec);
  const total = Array.from({ length: classes }, (_, c) =>
    Array.from({ length: BINS }, (_, j) => shards.reduce((a, s) => a + s.histogram[c][j], 0)),
  );
  const out: ClassThreshold[] = [];
  for (let c = 0; c < classes; c++) {
    let available = 0;
    let bin = minBin;
    if (spec.mode === 'use-all') {
      for (let j = minBin; j < BINS; j++) available += total[c][j];
    } else {
      for (let j = BINS - 1; j >= minBin; j--) {
        available += total[c][j];
        if (available >= perClass) {
          bin = j;
          break;
        }
      }
    }
    const t: ClassThreshold = { bin, available };
    if (spec.mode === 'top-n') {
      const merged = shards.flatMap((s) => s.top?.[c] ?? []).filter((r) => binOf(r.p) >= minBin);
      merged.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
      t.cutoff = merged.length ? merged[Math.min(perClass, merged.length) - 1] : null;
      t.available = Math.min(perClass, merged.length);
    }
    out.push(t);
  }
  const expectedKept = out.reduce(
    (a, t) =>
      a +
      (spec.mode === 'balanced'
        ? t.available > 0
          ? spec.upsample
            ? perClass
            : Math.min(perClass, t.available)
          : 0
        : t.available),
    0,
  );
  return { perClass, classes: out, expectedKept };
}

function minBinOf(spec: FilterSpec): number {
  const bin = gridBin(spec.minThreshold);
  if (bin === null) throw new ConfigError('filter.minThreshold', `must lie on the 0.01 grid, got ${spec.minThreshold}`);
  return bin;
}

/**
 * Output: how many copies of one prediction to keep, under the thresholds the reduce computed
 * with the same `spec`. Draws from `rng` only when needed, in record order.
 */
export function copiesFor(pred: Prediction, t: Thresholds, spec: FilterSpec, rng: Rng): number {
  const ct = t.classes[pred.label];
  switch (spec.mode) {
    case 'use-all':
      return binOf(pred.prob) >= minBinOf(spec) ? 1 : 0;
    case 'top-n': {
      const cut = ct.cutoff;
      if (!cut || binOf(pred.prob) < minBinOf(spec)) return 0;
      return pred.prob > cut.p || (pred.prob === cut.p && pred.id <= cut.id) ? 1 : 0;
    }
    case 'balanced': {
      if (binOf(pred.prob) < ct.bin || ct.available === 0) return 0;
      const r = t.perClass / ct.available;
      const whole = Math.floor(r);
      const copies = whole + (rng.next() < r - whole ? 1 : 0);
      return spec.upsample ? copies : Math.min(copies, 1);
    }
    // Stryker disable all: unreachable, the switch is exhaustive over a union (the compiler checks `never`)
    default: {
      const never: never = spec.mode;
      throw new Error(`unknown filter mode ${String(never)}`);
    }
    // Stryker restore all
  }
}
