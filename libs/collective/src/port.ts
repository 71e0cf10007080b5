// The collective port that data-parallel training depends on. Pure (no imports, no network):
// libs/ml imports this type only, and whoever starts a rank picks the adapter: SingleRank for one
// process, the Gloo adapter (gloo.ts) for ranks on CPUs, and on GPU machines an NCCL adapter with
// the same shape (docs/operations.md).

export interface Collective {
  /** This process's rank in [0, size). Rank 0 writes checkpoints and results. */
  readonly rank: number;
  readonly size: number;
  /** The library behind it, for logs and summaries: 'single', 'Gloo 0.5.0 (tcp)', ... */
  readonly backend: string;
  /** Sums `data` element-wise across ranks, in place; every rank ends with the same sum. */
  allReduceSum(data: Float32Array): Promise<void>;
  /** Overwrites `data` on every rank with rank `root`'s values. */
  broadcast(data: Float32Array, root: number): Promise<void>;
  /** Resolves once every rank has called it. */
  barrier(): Promise<void>;
  /** Concatenates each rank's `value` (same length on every rank) in rank order. */
  allGather(value: Float64Array): Promise<Float64Array>;
  /** Releases the connections; later calls fail. Idempotent. */
  close(): Promise<void>;
}
