// Loader for the optional oneDNN addon built by ../build.mjs at install time. Returns null (with
// the reason) when it was not built or cannot load, so callers fall back to the wasm kernels.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ConvKind = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;
export const BatchNormKind = { train: 0, backward: 1, inference: 2 } as const;
export const BinaryKind = { add: 0, multiply: 1, scaleRows: 2, scaleChannels: 3 } as const;
export const UpdateKind = { rmsprop: 0, ema: 1 } as const;
export const ActivationKind = { relu: 0, reluBackward: 1, swish: 2, swishBackward: 3 } as const;

/** Packed integer parameters of one convolution; order matches `Dims` in addon.cc. */
export interface ConvDims {
  n: number;
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  groups: number;
  relu: boolean;
  bias: boolean;
}

export interface OnednnAddon {
  /** offsets: byte offsets into heap of [x | dx, filter | dfilter, y | dy, bias]. */
  conv(kind: number, heap: ArrayBufferLike, offsets: Float64Array, dims: Int32Array): void;
  /**
   * Batch norm over an [n, c] view of a channels-last tensor. offsets (bytes into heap):
   * train [x, gamma, beta, y, mean, variance]; backward [x, dy, mean, variance, gamma, dx, dgamma, dbeta];
   * inference [x, gamma, beta, mean, variance, y] (unused slots 0). Variances are biased (divide by n).
   */
  batchNorm(kind: number, heap: ArrayBufferLike, offsets: Float64Array, n: number, c: number, epsilon: number): void;
  /** Elementwise activation over n floats; offsets: forward [x, y], backward [x, dy, dx] (unused slot 0). */
  activation(kind: number, heap: ArrayBufferLike, offsets: Float64Array, n: number): void;
  /** scale * sum over the middle axis of a [b, hw, c] tensor; offsets [x, y]. */
  spatialSum(heap: ArrayBufferLike, offsets: Float64Array, b: number, hw: number, c: number, scale: number): void;
  /**
   * kind 0: y = a + b, 1: y = a * b (n elements each); 2: y[r, j] = a[r, j] * b[r] (rows of `inner`);
   * 3: y[r, p, k] = a[r, p, k] * b[r, k] (rows of inner = hw * channels). Offsets [a, b, y].
   */
  binary(kind: number, heap: ArrayBufferLike, offsets: Float64Array, n: number, inner: number, channels: number): void;
  /**
   * kind 0: one RMSProp step, offsets [w, g, ms, mom, w', ms', mom'], params [lr, rho, momentum, eps, weightDecay];
   * kind 1: one EMA step, offsets [shadow, w, shadow'], params [decay]. n elements each.
   */
  update(kind: number, heap: ArrayBufferLike, offsets: Float64Array, n: number, params: Float64Array): void;
  /** Set (n > 0) and return oneDNN's OpenMP thread count. */
  threads(n?: number): number;
  version(): string;
}

export function packDims(d: ConvDims): Int32Array {
  return Int32Array.from([
    d.n,
    d.h,
    d.w,
    d.ci,
    d.oh,
    d.ow,
    d.co,
    d.kh,
    d.kw,
    d.sh,
    d.sw,
    d.dh,
    d.dw,
    d.pt,
    d.pl,
    d.pb,
    d.pr,
    d.groups,
    d.relu ? 1 : 0,
    d.bias ? 1 : 0,
  ]);
}

export type LoadResult = { addon: OnednnAddon; error: null } | { addon: null; error: string };

let loaded: LoadResult | null = null;

export function loadOnednn(): LoadResult {
  if (loaded) return loaded;
  const path = fileURLToPath(new URL('../build/onednn.node', import.meta.url));
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as OnednnAddon, error: null };
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
        ? 'not built (see libs/onednn/build.mjs)'
        : (err as Error).message;
    loaded = { addon: null, error: why };
  }
  return loaded;
}
