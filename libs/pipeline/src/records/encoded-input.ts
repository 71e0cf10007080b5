// Model input from encoded pictures (datasets ingested with `encoded`): training batches through
// the input pool's worker threads (distorted-box crop, bicubic resize to the model's resolution,
// flip, RandAugment, normalise), planned ahead of the trainer; evaluation and prediction through
// the padded center crop, a chunk of pictures at a time so memory stays bounded by the chunk.
import { availableParallelism } from 'node:os';
import { createRng, DataError } from '@noisy/core';
import { InputPool, preprocessForEval, type EncodedPicture, type Sample, type Where } from '@noisy/data';
import {
  poolAugmentModule,
  predictProbabilities,
  type BatchProvider,
  type InputStats,
  type PoolAugmentOptions,
  type ProvidedBatch,
} from '@noisy/ml';

/**
 * Where training's encoded pictures come from: a `RecordTable` over the split's parts (read record
 * by record from the store: ImageNet-sized splits) or a list held in memory (`memoryPictures`:
 * the folds of label issues, tests).
 */
export interface PictureSource {
  readonly count: number;
  /** Pictures `indices`, with the teacher's distributions [n, classes] when asked and the source has them. */
  read(indices: Int32Array, withProbabilities?: boolean): Promise<PictureBatch>;
}

export interface PictureBatch {
  pictures: EncodedPicture[];
  probabilities?: Float32Array;
}

/** Encoded pictures held in memory, each with the shard and record it came from (for errors). */
export interface PictureList {
  bytes: Uint8Array[];
  shard: string[];
  record: Int32Array;
}

/** Collect the encoded pictures of samples read from `shard`, in order. */
export function pictureList(parts: Array<{ samples: Sample[]; shard: string }>): PictureList {
  const out: PictureList = {
    bytes: [],
    shard: [],
    record: new Int32Array(parts.reduce((a, p) => a + p.samples.length, 0)),
  };
  let k = 0;
  for (const { samples, shard } of parts)
    samples.forEach((s, i) => {
      if (!s.encoded) throw new DataError(shard, 'record has no image/encoded picture', i);
      out.bytes.push(s.encoded);
      out.shard.push(shard);
      out.record[k++] = i;
    });
  return out;
}

/** A picture list as a source (teacher distributions, when wanted, from `probabilities` [n, classes]). */
export function memoryPictures(
  list: PictureList,
  probabilities?: { values: Float32Array; classes: number },
): PictureSource {
  return {
    count: list.bytes.length,
    async read(indices, withProbabilities = false) {
      const pictures = Array.from(indices, (i) => ({
        bytes: list.bytes[i],
        where: { shard: list.shard[i], record: list.record[i] },
      }));
      if (!withProbabilities) return { pictures };
      if (!probabilities) throw new Error('memoryPictures: no teacher distributions to read');
      const C = probabilities.classes;
      const out = new Float32Array(indices.length * C);
      indices.forEach((i, k) => out.set(probabilities.values.subarray(i * C, (i + 1) * C), k * C));
      return { pictures, probabilities: out };
    },
  };
}

/** Worker threads for decoding: every core but the trainer's, at least one. */
export const inputThreads = (): number => Math.max(1, Math.min(8, availableParallelism() - 1));

export interface EncodedTrainOptions {
  resolution: number;
  stats: InputStats;
  seed: number;
  /** Examples per step (labeled + unlabeled), so every picture of the run has its own generator. */
  perStep: number;
  /** Labeled examples per step (the rest of `perStep` is unlabeled). */
  labeledPerStep: number;
  labeled: { source: PictureSource; augment: PoolAugmentOptions };
  /** The pseudo-labeled pictures; their teacher distributions come with each batch. */
  unlabeled: { source: PictureSource; augment: PoolAugmentOptions } | null;
  threads?: number;
  /**
   * This process's rank when training data-parallel (more than one replica): each rank draws its
   * crops, flips and RandAugment from its own stream. Absent: one process, one stream.
   */
  rank?: number;
}

/** Training batches of encoded pictures for `trainModel` (close it when training ends). */
export class EncodedTrainBatches implements BatchProvider {
  readonly ahead: number;
  private readonly pools: InputPool[] = [];
  private readonly pending = new Map<number, Promise<ProvidedBatch>>();

  constructor(private readonly o: EncodedTrainOptions) {
    const threads = o.threads ?? inputThreads();
    this.ahead = 2 * threads;
    // Ranks train on different slices of a step at the same stream positions: without a stream
    // of their own, picture k of every rank's slice would get the same crop and flip.
    const seed = o.rank === undefined ? o.seed : createRng(o.seed).fork(`rank:${o.rank}`).seed;
    // The two pools share the threads in proportion to their pictures per step (each at least
    // one), so that a student's input does not start twice as many threads as there are cores.
    const labeledThreads = o.unlabeled
      ? Math.min(threads - 1, Math.max(1, Math.round((threads * o.labeledPerStep) / o.perStep)))
      : threads;
    const pool = (augment: PoolAugmentOptions, salt: number, n: number) =>
      new InputPool({
        threads: Math.max(1, n),
        batchSize: 1, // unused: the trainer plans its own batches (`prepare`)
        resolution: o.resolution,
        mode: 'train',
        stats: o.stats,
        seed: seed + salt,
        augment: { module: poolAugmentModule, export: 'poolRandAugment', options: augment },
      });
    this.pools.push(pool(o.labeled.augment, 0, labeledThreads));
    if (o.unlabeled) this.pools.push(pool(o.unlabeled.augment, 1, threads - labeledThreads));
  }

  request(step: number, labeled: Int32Array, unlabeled: Int32Array | null): void {
    const first = step * this.o.perStep;
    // Reads of the step's records (ranged reads of the store) then decoding in the pool, both
    // while earlier steps train.
    const lab = this.o.labeled.source.read(labeled).then((b) => this.pools[0].prepare(b.pictures, first));
    const unl =
      unlabeled && this.o.unlabeled
        ? this.o.unlabeled.source.read(unlabeled, true).then(async (b) => ({
            input: await this.pools[1].prepare(b.pictures, first + labeled.length),
            probabilities: b.probabilities,
          }))
        : null;
    const all = Promise.all([lab, unl]).then(([l, u]): ProvidedBatch => {
      if (!u) return { input: l };
      const input = new Float32Array(l.length + u.input.length); // [b + u, r, r, 3]
      input.set(l);
      input.set(u.input, l.length);
      // The pools' own buffers are copied: later steps are decoded into them.
      this.pools[0].recycle(l);
      this.pools[1].recycle(u.input);
      return { input, unlabeledProbabilities: u.probabilities };
    });
    all.catch(() => undefined); // observed when its step is taken
    this.pending.set(step, all);
  }

  async take(step: number): Promise<ProvidedBatch> {
    const batch = await this.pending.get(step)!;
    this.pending.delete(step);
    return batch;
  }

  /** A step's floats, done with: the pool that fills the next step of that size writes into them. */
  release(batch: ProvidedBatch): void {
    this.pools[this.pools.length - 1].recycle(batch.input);
  }

  /** Batches decoded into memory given back by `release` (or copied out of), out of all. */
  reuse(): { reused: number; batches: number } {
    const s = this.pools.map((p) => p.stats());
    return { reused: s.reduce((a, x) => a + x.reused, 0), batches: s.reduce((a, x) => a + x.batches, 0) };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}

const CHUNK = 256;

/**
 * Softmax of `model` over encoded pictures: padded center crop at the model's resolution, in chunks.
 * `where` names the shard (sample i is its record i) or each sample's origin, for errors.
 */
export async function predictEncoded(
  model: Parameters<typeof predictProbabilities>[0],
  samples: Sample[],
  where: string | ((i: number) => Where),
  stats: InputStats,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const r = model.inputs[0].shape[1] as number;
  const classes = model.outputs[0].shape[1] as number;
  const out = new Float32Array(samples.length * classes); // [N, C]
  for (let from = 0; from < samples.length; from += CHUNK) {
    const n = Math.min(CHUNK, samples.length - from);
    const pixels = new Uint8Array(n * r * r * 3);
    let next = 0;
    // A few pictures at once: libvips decodes on the libuv thread pool.
    const lane = async () => {
      for (let k = next++; k < n; k = next++) {
        const s = samples[from + k];
        const at = typeof where === 'string' ? { shard: where, record: from + k } : where(from + k);
        if (!s.encoded) throw new DataError(at.shard, 'record has no image/encoded picture', at.record);
        const img = await preprocessForEval(s.encoded, at, { resolution: r });
        pixels.set(img.data, k * r * r * 3);
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, n) }, lane));
    const probs = await predictProbabilities(
      model,
      { kind: 'image', count: n, shape: [r, r, 3], pixels },
      stats,
      batchSize,
    );
    out.set(probs, from * classes);
    onProgress?.(from + n, samples.length);
  }
  return out;
}
