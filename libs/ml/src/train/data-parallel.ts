// Synchronous data parallelism over the Collective port (libs/collective/src/port.ts; a type-only
// import: this library opens no connections). Every rank holds the same weights, takes its own
// slice of every global batch, and after the backward pass one all-reduce sums
//   [gradients (each rank's loss is scaled by its share of the batch, so the sum is the global
//    batch's gradient) | batch-norm moving statistics (averaged) | loss | checkpoint and stop votes]
// after which every rank applies the same optimiser and EMA step: the weights stay identical,
// which a checksum across ranks confirms at every checkpoint.
import * as tf from '@tensorflow/tfjs';
import type { Collective } from '@noisy/collective';
import { NoisyError } from '@noisy/core';

/** The ranks' weights differ: a determinism bug (not retryable: a retry would diverge again). */
export class ReplicaDivergedError extends NoisyError {
  constructor(
    readonly step: number,
    readonly checksums: number[],
  ) {
    super(
      `replicas diverged at step ${step}: weight checksums per rank ${checksums.map((c) => c.toString(16)).join(', ')}; ` +
        'all ranks must run the same code, backend and thread count',
    );
  }
}

/** Rank `rank`'s half-open range [start, end) of `total` items split as evenly as possible. */
export function rankSlice(total: number, rank: number, size: number): [number, number] {
  return [Math.floor((rank * total) / size), Math.floor(((rank + 1) * total) / size)];
}

/** Copy tensors' values into one flat buffer (in order), leaving `extra` free slots at the end. */
async function flatten(tensors: tf.Tensor[], extra: number): Promise<Float32Array> {
  const n = tensors.reduce((a, t) => a + t.size, 0);
  const out = new Float32Array(n + extra);
  let at = 0;
  for (const t of tensors) {
    out.set((await t.data()) as Float32Array, at);
    at += t.size;
  }
  return out;
}

/** Tensors of the given shapes, read in order from `flat`. */
function unflatten(flat: Float32Array, shapes: tf.Tensor[]): tf.Tensor[] {
  let at = 0;
  return shapes.map((t) => {
    const v = tf.tensor(flat.subarray(at, at + t.size), t.shape, 'float32');
    at += t.size;
    return v;
  });
}

export interface ReduceResult {
  /** The summed gradients, keyed like the input; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
  /** The global batch's loss. */
  loss: number;
  /** Whether any rank asked for a checkpoint after this step (rank 0 decides time-based ones). */
  checkpoint: boolean;
  /** Whether any rank was asked to stop (cancellation): all ranks stop after this step together. */
  stop: boolean;
}

export interface Votes {
  checkpoint: boolean;
  stop: boolean;
}

/**
 * One all-reduce per step. `stats` are the batch-norm moving statistics each rank updated from its
 * own slice (per-replica batch statistics, as on the original's TPU cores); they come back as the
 * ranks' average and are written to the variables, so that every rank holds the same values.
 */
export async function reduceStep(
  c: Collective,
  vars: tf.Variable[],
  grads: Record<string, tf.Tensor>,
  stats: tf.LayerVariable[],
  loss: number,
  votes: Votes,
): Promise<ReduceResult> {
  const gradList = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
  const statValues = stats.map((s) => s.read());
  const flat = await flatten([...gradList, ...statValues], 3);
  const tail = flat.length - 3;
  flat[tail] = loss;
  flat[tail + 1] = votes.checkpoint ? 1 : 0;
  flat[tail + 2] = votes.stop ? 1 : 0;
  vars.forEach((v, i) => grads[v.name] === undefined && gradList[i].dispose());
  await c.allReduceSum(flat);
  const gradCount = gradList.reduce((a, t) => a + t.size, 0);
  const summed = unflatten(flat.subarray(0, gradCount), gradList);
  const averaged = tf.tidy(() => unflatten(flat.subarray(gradCount, tail), statValues).map((t) => tf.div(t, c.size)));
  stats.forEach((s, i) => s.write(averaged[i]));
  tf.dispose(averaged);
  return {
    grads: Object.fromEntries(vars.map((v, i) => [v.name, summed[i]])),
    loss: flat[tail],
    checkpoint: flat[tail + 1] > 0,
    stop: flat[tail + 2] > 0,
  };
}

/** Rank 0's weights on every rank, once before training (builders are seeded, this makes it certain). */
export async function broadcastWeights(c: Collective, weights: tf.LayerVariable[]): Promise<void> {
  const values = weights.map((w) => w.read());
  const flat = await flatten(values, 0);
  await c.broadcast(flat, 0);
  const restored = unflatten(flat, values);
  weights.forEach((w, i) => w.write(restored[i]));
  tf.dispose(restored);
}

/** FNV-1a over the float32 words of every tensor: equal weights give equal checksums, bit for bit. */
export async function weightChecksum(tensors: tf.Tensor[]): Promise<number> {
  let h = 0x811c9dc5;
  for (const t of tensors) {
    const words = new Uint32Array(((await t.data()) as Float32Array).slice().buffer);
    for (let i = 0; i < words.length; i++) {
      h ^= words[i];
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** Compares every rank's checksum of `tensors`; throws ReplicaDivergedError naming them all on a mismatch. */
export async function checkReplicasAgree(c: Collective, tensors: tf.Tensor[], step: number): Promise<number> {
  const mine = await weightChecksum(tensors);
  const all = Array.from(await c.allGather(Float64Array.of(mine)));
  if (all.some((v) => v !== all[0])) throw new ReplicaDivergedError(step, all);
  return mine;
}
