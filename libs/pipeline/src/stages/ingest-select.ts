// Ingest's reduce and the per-part choice it drives. `selectIngest` turns every source part's
// per-class counts into how many dev, labeled and unlabeled examples each part contributes, by
// seeded multivariate hypergeometric draws: the same law as one uniform seeded choice over the whole
// source, and a pure function of the counts in part order, so neither the number of workers nor
// the order in which they finish changes it. `partChooser` then picks, within one part, which
// records those are, by sequential selection sampling (each record's chance is what is still
// wanted over what is still to come): one pass, state per class, no per-record arrays.
import { ConfigError, devCount, type CompiledExperiment, type Rng } from '@noisy/core';
import type { PartSplit } from '@noisy/data';

/** Records per dev and test shard. */
export const EVAL_SHARD = 10_000;

/**
 * Successes among `draws` items drawn without replacement from `population` items of which
 * `successes` are successes. Exact; costs O(min(draws, successes) and their complements) draws.
 */
export function hypergeometric(rng: Rng, draws: number, successes: number, population: number): number {
  if (draws < 0 || successes < 0 || draws > population || successes > population)
    throw new RangeError(`hypergeometric(${draws}, ${successes}, ${population}): out of range`);
  // By symmetry, simulate the smallest of the four equivalent problems.
  if (draws > population / 2) return successes - hypergeometric(rng, population - draws, successes, population);
  if (successes > population / 2) return draws - hypergeometric(rng, draws, population - successes, population);
  const [n, k] = draws < successes ? [draws, successes] : [successes, draws];
  let x = 0;
  let left = population;
  let want = k;
  for (let i = 0; i < n && want > 0; i++, left--) {
    if (rng.next() * left < want) {
      x++;
      want--;
    }
  }
  return x;
}

/**
 * Split `k` draws without replacement over cells of the given sizes (multivariate
 * hypergeometric): how many of a uniform random k-subset of all items fall in each cell.
 */
export function apportion(rng: Rng, k: number, sizes: ArrayLike<number>): Float64Array {
  let population = 0;
  for (let i = 0; i < sizes.length; i++) population += sizes[i];
  if (k > population) throw new RangeError(`cannot draw ${k} of ${population}`);
  const out = new Float64Array(sizes.length);
  let left = k;
  for (let i = 0; i < sizes.length && left > 0; i++) {
    out[i] = hypergeometric(rng, left, sizes[i], population);
    left -= out[i];
    population -= sizes[i];
  }
  return out;
}

/** What ingest-count found in one part. */
export interface PartCounts {
  split: PartSplit;
  records: number;
  /** Records per 0-based class (empty for unlabeled parts). */
  perClass: number[];
  /** The part may be read in place (a verified source file of an encoded dataset, no re-encoding needed). */
  inPlace?: boolean;
}

/** One part's share of each split, and the output shards it writes: [first, count]. */
export interface PartPlan {
  /** The dataset reads this part's file in place (it is one whole labeled, test or unlabeled part). */
  inPlace: boolean;
  /** Dev examples per class, sparse [class, count] (train parts). */
  dev: Array<[number, number]>;
  /** Labeled examples per class, sparse [class, count]; 'all': every record not in dev (train parts). */
  labeled: Array<[number, number]> | 'all';
  /** Records kept as unlabeled: of what train parts leave, or of an unlabeled part. */
  unlabeled: number;
  unlabeledShards: [number, number];
  devShards: [number, number];
  /** Test records taken: the part's first ones. */
  test: number;
  testShards: [number, number];
}

export interface Selection {
  classes: number;
  classNames: string[];
  counts: { labeled: number; unlabeled: number; dev: number; test: number };
  /** Output shards of each split over all parts. */
  shards: { unlabeled: number; dev: number; test: number };
  parts: PartPlan[];
}

const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

/** Shards of each part, in part order: `[first, count]` each. */
function layout(counts: number[]): Array<[number, number]> {
  let first = 0;
  return counts.map((n) => {
    const r: [number, number] = [first, n];
    first += n;
    return r;
  });
}

/**
 * `shards` unlabeled shards over parts holding u[p] records: one per non-empty part, and the rest
 * to the parts with the most records per shard (a part never gets more shards than records). More
 * non-empty parts than shards: one each (a shard is written by one task). A part read in place
 * (`whole`) is exactly one shard.
 */
function unlabeledShardCounts(u: Float64Array, shards: number, whole: boolean[]): number[] {
  const k = Array.from(u, (n) => (n > 0 ? 1 : 0));
  for (let extra = shards - sum(k); extra > 0; extra--) {
    let best = -1;
    for (let p = 0; p < k.length; p++)
      if (!whole[p] && k[p] > 0 && k[p] < u[p] && (best < 0 || u[p] / k[p] > u[best] / k[best])) best = p;
    if (best < 0) break;
    k[best]++;
  }
  return k;
}

/**
 * The reduce of ingest: from every part's counts (in part order) and the experiment's data block,
 * each part's share of dev, labeled, unlabeled and test examples, and its output shards.
 */
export function selectIngest(
  e: CompiledExperiment,
  parts: PartCounts[],
  classNames: string[] | null,
  rng: Rng,
): Selection {
  let classes = 0;
  for (const p of parts) classes = Math.max(classes, p.perClass.length);
  if (classNames && classes > classNames.length)
    throw new ConfigError(
      'data.source.classNames',
      `names ${classNames.length} classes but the labels reach class ${classes - 1}`,
    );
  const names = classNames ?? Array.from({ length: classes }, (_, k) => String(k));
  const P = parts.length;
  const isTrain = parts.map((p) => p.split === 'train');
  const cell = (p: number, c: number) => (isTrain[p] ? (parts[p].perClass[c] ?? 0) : 0);
  const trainCount = sum(parts.map((p, i) => (isTrain[i] ? p.records : 0)));

  // Dev: a uniform subset of the training split (not per class), apportioned to parts, then classes.
  const D = devCount(e.data, trainCount);
  const devPart = apportion(
    rng.fork('dev'),
    D,
    parts.map((p, i) => (isTrain[i] ? p.records : 0)),
  );
  const dev: Array<Array<[number, number]>> = parts.map(() => []);
  const devOf = parts.map(() => new Map<number, number>());
  for (let p = 0; p < P; p++) {
    if (!devPart[p]) continue;
    const byClass = apportion(rng.fork(`dev:${p}`), devPart[p], parts[p].perClass);
    byClass.forEach((n, c) => {
      if (!n) return;
      dev[p].push([c, n]);
      devOf[p].set(c, n);
    });
  }

  // Labeled: N per class over the records outside dev, or all of them.
  const N = e.data.labeledPerClass;
  const labeled: Array<Array<[number, number]> | 'all'> = parts.map(() => (N === 'all' ? 'all' : []));
  const labeledOf = new Float64Array(P);
  let labeledTotal = 0;
  for (let c = 0; c < names.length; c++) {
    const avail = Float64Array.from({ length: P }, (_, p) => cell(p, c) - (devOf[p].get(c) ?? 0));
    const have = sum(avail);
    if (N === 'all') {
      avail.forEach((n, p) => (labeledOf[p] += n));
      labeledTotal += have;
      continue;
    }
    if (have < N)
      throw new ConfigError(
        'data.labeledPerClass',
        `asks ${N} labeled examples per class but class '${names[c]}' has only ${have} training examples` +
          (D ? ` outside the dev split (data.dev: ${D})` : '') +
          `; lower data.labeledPerClass or use 'all'`,
      );
    apportion(rng.fork(`labeled:${c}`), N, avail).forEach((n, p) => {
      if (!n) return;
      (labeled[p] as Array<[number, number]>).push([c, n]);
      labeledOf[p] += n;
    });
    labeledTotal += N;
  }

  // Unlabeled: what train parts leave, and every unlabeled part; capped by data.unlabeled, uniformly.
  const pool = parts.map((p, i) =>
    p.split === 'unlabeled' ? p.records : isTrain[i] ? p.records - devPart[i] - labeledOf[i] : 0,
  );
  const R = sum(pool);
  const U = e.data.unlabeled === 'rest' ? R : Math.min(R, e.data.unlabeled);
  const unl = U === R ? Float64Array.from(pool) : apportion(rng.fork('unlabeled'), U, pool);
  // Read in place: an unlabeled part kept whole, a train part all labeled (labeledPerClass 'all',
  // no dev record in it), or a test part taken whole (below).
  const inPlace = parts.map(
    (p, i) =>
      p.inPlace === true &&
      p.records > 0 &&
      (p.split === 'unlabeled' ? unl[i] === p.records : p.split === 'train' && N === 'all' && devPart[i] === 0),
  );
  const unlShards = layout(
    U ? unlabeledShardCounts(unl, Math.max(1, Math.min(e.data.unlabeledShards, U)), inPlace) : parts.map(() => 0),
  );

  // Test: the first testLimit records, in part order; one shard per 10,000, and at least one.
  const testTotal = sum(parts.map((p) => (p.split === 'test' ? p.records : 0)));
  const T = Math.min(testTotal, e.data.testLimit ?? Infinity);
  let before = 0;
  const test = parts.map((p) => {
    if (p.split !== 'test') return 0;
    const take = Math.max(0, Math.min(p.records, T - before));
    before += p.records;
    return take;
  });
  parts.forEach((p, i) => {
    if (p.inPlace === true && p.split === 'test' && p.records > 0 && test[i] === p.records) inPlace[i] = true;
  });
  const testShardCounts = test.map((n, p) => (inPlace[p] && parts[p].split === 'test' ? 1 : Math.ceil(n / EVAL_SHARD)));
  const firstTest = parts.findIndex((p) => p.split === 'test');
  if (sum(testShardCounts) === 0 && firstTest >= 0) testShardCounts[firstTest] = 1;
  const devShards = layout(Array.from(devPart, (n) => Math.ceil(n / EVAL_SHARD)));
  const testShards = layout(testShardCounts);

  return {
    classes: names.length,
    classNames: names,
    counts: { labeled: labeledTotal, unlabeled: U, dev: D, test: T },
    shards: {
      unlabeled: sum(unlShards.map((s) => s[1])),
      dev: sum(devShards.map((s) => s[1])),
      test: sum(testShards.map((s) => s[1])),
    },
    parts: parts.map((_, p) => ({
      inPlace: inPlace[p],
      dev: dev[p],
      labeled: labeled[p],
      unlabeled: unl[p],
      unlabeledShards: unlShards[p],
      devShards: devShards[p],
      test: test[p],
      testShards: testShards[p],
    })),
  };
}

/** Whether a part's write task keeps labeled records (its labeled part), or its file is one read in place. */
export function keepsLabeled(plan: PartPlan, counts: PartCounts): boolean {
  if (counts.split !== 'train') return false;
  if (plan.inPlace) return true;
  const dev = plan.dev.reduce((a, [, n]) => a + n, 0);
  return plan.labeled === 'all' ? counts.records > dev : plan.labeled.length > 0;
}

/** Where one record goes: a split and the output shard (global index), or nowhere. */
export type Role = { split: 'labeled' | 'unlabeled' | 'dev' | 'test'; shard: number } | null;

/** Sizes of `n` records cut into `k` shards in order, the first `n % k` one larger. */
const evenShare = (n: number, k: number, j: number) => Math.floor(n / k) + (j < n % k ? 1 : 0);

/**
 * The record-by-record choice within one part: call it with each record's label in the part's
 * order. The same plan, counts and generator give the same roles, so every pass of a write task
 * (one per output shard) agrees, and a retry rewrites the same records.
 */
export function partChooser(plan: PartPlan, counts: PartCounts, rng: Rng): (label: number | null) => Role {
  if (counts.split === 'test') {
    let index = 0;
    const [first, k] = plan.testShards;
    let shard = 0;
    let inShard = 0;
    return () => {
      if (index++ >= plan.test) return null;
      while (inShard >= evenShare(plan.test, k, shard)) {
        shard++;
        inShard = 0;
      }
      inShard++;
      return { split: 'test', shard: first + shard };
    };
  }
  const remaining = Float64Array.from(counts.perClass);
  const devLeft = new Float64Array(counts.perClass.length);
  for (const [c, n] of plan.dev) devLeft[c] = n;
  const all = plan.labeled === 'all';
  const labLeft = new Float64Array(counts.perClass.length);
  if (plan.labeled !== 'all') for (const [c, n] of plan.labeled) labLeft[c] = n;
  // The pool the unlabeled share is drawn from: what dev and labeled leave (all of an unlabeled part).
  const labeledHere = counts.split === 'train' ? (all ? counts.records - sum(devLeft) : sum(labLeft)) : 0;
  let poolLeft = counts.records - sum(devLeft) - labeledHere;
  let unlLeft = plan.unlabeled;
  // Unlabeled records are dealt to shards at random with exact sizes (shard j takes its even share).
  const [unlFirst, k] = plan.unlabeledShards;
  const shardLeft = Float64Array.from({ length: k }, (_, j) => evenShare(plan.unlabeled, k, j));
  // Dev records go to their shards in order, 10,000 each.
  const [devFirst] = plan.devShards;
  let devSeen = 0;
  return (label) => {
    if (label !== null) {
      if (!(remaining[label] > 0)) throw new Error(`partChooser: class ${label} holds more records than counted`);
      const r = remaining[label]--;
      if (rng.next() * r < devLeft[label]) {
        devLeft[label]--;
        return { split: 'dev', shard: devFirst + Math.floor(devSeen++ / EVAL_SHARD) };
      }
      const nonDev = r - devLeft[label];
      if (all || rng.next() * nonDev < labLeft[label]) {
        if (!all) labLeft[label]--;
        return { split: 'labeled', shard: 0 };
      }
    }
    const kept = rng.next() * poolLeft < unlLeft;
    poolLeft--;
    if (!kept) return null;
    let x = rng.next() * unlLeft;
    unlLeft--;
    for (let j = 0; j < k; j++) {
      if (x < shardLeft[j]) {
        shardLeft[j]--;
        return { split: 'unlabeled', shard: unlFirst + j };
      }
      x -= shardLeft[j];
    }
    throw new Error('partChooser: unlabeled shares exhausted (counts do not match the part)');
  };
}
