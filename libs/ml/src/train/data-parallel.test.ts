// Pieces of data-parallel training that need no second process: how a global batch is split,
// and how a weight mismatch between ranks is reported. (Rank processes: tests/e2e/data-parallel.)
import * as tf from '@tensorflow/tfjs';
import type { Collective } from '@noisy/collective';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend.js';
import { checkReplicasAgree, rankSlice, ReplicaDivergedError, weightChecksum } from './data-parallel.js';

/** A rank whose peers report the given checksums (test double of the port's allGather). */
const peersReport = (others: number[]): Collective => ({
  rank: 0,
  size: others.length + 1,
  backend: 'test',
  allReduceSum: async () => {},
  broadcast: async () => {},
  barrier: async () => {},
  allGather: async (v) => Float64Array.from([v[0], ...others]),
  close: async () => {},
});

describe('data parallel', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('data parallel - rank slices of a global batch are disjoint and cover it, sizes differing by at most 1', () => {
    for (const [total, size] of [
      [16, 2],
      [17, 2],
      [24, 5],
      [3, 3],
    ]) {
      const slices = Array.from({ length: size }, (_, r) => rankSlice(total, r, size));
      expect(slices[0][0]).toBe(0);
      expect(slices.at(-1)![1]).toBe(total);
      slices.slice(1).forEach(([from], r) => expect(from).toBe(slices[r][1]));
      const sizes = slices.map(([a, b]) => b - a);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('data parallel - a weight checksum that differs on another rank fails with ReplicaDivergedError', async () => {
    const w = [tf.tensor1d([1, 2, 3]), tf.tensor2d([[0.5, -0.25]])];
    const mine = await weightChecksum(w);
    expect(await checkReplicasAgree(peersReport([mine]), w, 7)).toBe(mine);
    const err = await checkReplicasAgree(peersReport([mine, mine ^ 1]), w, 7).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaDivergedError);
    expect((err as ReplicaDivergedError).step).toBe(7);
    expect((err as ReplicaDivergedError).checksums).toEqual([mine, mine, mine ^ 1]);
    expect((err as ReplicaDivergedError).retryable).toBe(false);
    const moved = [tf.tensor1d([1, 2, 3.0000005]), w[1]];
    expect(await weightChecksum(moved)).not.toBe(mine);
    tf.dispose([...w, moved[0]]);
  });
});
