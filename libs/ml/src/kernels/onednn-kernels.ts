// The wasm backend's hot kernels replaced by calls into the optional addon @noisy/onednn, working on
// the wasm heap in place: convolutions (forward, fused bias + ReLU, both gradients, regular and
// depthwise) on oneDNN; Mean/Sum over H, W and large Add/Multiply on OpenMP loops. Batch norm,
// activations and optimizer steps are custom kernels (onednn-batch-norm/activations/updates.ts).
// Any case the addon does not take (other activations, NCHW, odd padding, small or broadcast
// operands) or an addon error falls through to the kernel that was registered before;
// onednn-kernels.test.ts checks both paths against the cpu backend.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { BinaryKind, ConvKind, loadOnednn, packDims, type OnednnAddon } from '@noisy/onednn';
import { registerOnednnBatchNorm } from './onednn-batch-norm.js';
import { registerOnednnActivations } from './onednn-activations.js';
import { registerOnednnUpdates } from './onednn-updates.js';
import { countCall, onednnCalls, onednnState, type WasmBackend } from './onednn-state.js';

export { onednnCalls };

type Conv2DInfo = tf.backend_util.Conv2DInfo;
type Args = Parameters<KernelFunc>[0];
type Attrs = Record<string, unknown>;

const KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
] as const;
type KernelName = (typeof KERNELS)[number];

/** Convolution geometry for oneDNN, or null when it does not fit (then the old kernel runs). */
function dimsOf(info: Conv2DInfo, depthwise: boolean, relu: boolean, bias: boolean): Int32Array | null {
  if (info.dataFormat !== 'channelsLast') return null;
  const effH = (info.filterHeight - 1) * info.dilationHeight + 1,
    effW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const pt = info.padInfo.top,
    pl = info.padInfo.left;
  // oneDNN checks out = floor((in + pad_l + pad_r - eff) / stride) + 1. 'valid' with a stride can
  // leave up to stride-1 input rows unused; a bottom/right pad of 0 gives the same floor.
  const pb = Math.max((info.outHeight - 1) * info.strideHeight + effH - info.inHeight - pt, 0);
  const pr = Math.max((info.outWidth - 1) * info.strideWidth + effW - info.inWidth - pl, 0);
  const fits = (inSize: number, p0: number, p1: number, eff: number, stride: number, out: number) =>
    Math.floor((inSize + p0 + p1 - eff) / stride) + 1 === out;
  if (
    pt < 0 ||
    pl < 0 ||
    !fits(info.inHeight, pt, pb, effH, info.strideHeight, info.outHeight) ||
    !fits(info.inWidth, pl, pr, effW, info.strideWidth, info.outWidth)
  )
    return null;
  if (
    [
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.outChannels,
    ].some((v) => v <= 0)
  )
    return null;
  return packDims({
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    pt,
    pl,
    pb,
    pr,
    groups: depthwise ? info.inChannels : 1,
    relu,
    bias,
  });
}

function convInfo(name: KernelName, inputs: Args['inputs'], attrs: Attrs): Conv2DInfo {
  const a = attrs as {
    strides: [number, number] | number;
    pad: 'same';
    dilations?: [number, number] | number;
    dimRoundingMode?: 'floor';
    dataFormat?: 'NHWC' | 'NCHW';
  };
  const format = a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
  const depthwise = name.includes('Depthwise');
  const dil = a.dilations ?? 1;
  type S4 = [number, number, number, number];
  switch (name) {
    case 'Conv2DBackpropInput':
    case 'DepthwiseConv2dNativeBackpropInput':
      return tf.backend_util.computeConv2DInfo(
        attrs.inputShape as S4,
        inputs.filter!.shape as S4,
        a.strides,
        dil,
        a.pad,
        a.dimRoundingMode,
        depthwise,
        format,
      );
    case 'Conv2DBackpropFilter':
    case 'DepthwiseConv2dNativeBackpropFilter':
      return tf.backend_util.computeConv2DInfo(
        inputs.x!.shape as S4,
        attrs.filterShape as S4,
        a.strides,
        dil,
        a.pad,
        a.dimRoundingMode,
        depthwise,
        format,
      );
    default:
      return tf.backend_util.computeConv2DInfo(
        inputs.x!.shape as S4,
        inputs.filter!.shape as S4,
        a.strides,
        dil,
        a.pad,
        a.dimRoundingMode,
        depthwise,
        format,
      );
  }
}

/**
 * Allocate the output, call the addon with the (possibly regrown) heap, count the call; on an addon
 * error free the output and run the previous kernel instead. Shared by every replaced kernel.
 */
function runNative(
  name: string,
  args: Args,
  outShape: number[],
  call: (heap: ArrayBufferLike, at: (t: TensorInfo) => number, out: TensorInfo) => void,
  fallback: KernelFunc,
) {
  const backend = args.backend as unknown as WasmBackend;
  const out = backend.makeOutput(outShape, 'float32');
  try {
    // Read the heap after makeOutput: an allocation may have grown (and replaced) it.
    call(backend.wasm.HEAPU8.buffer, (t) => backend.dataIdMap.get(t.dataId).memoryOffset, out);
    countCall('native', name);
    return out;
  } catch (err) {
    onednnCalls.errors.set(name, (err as Error).message);
    countCall('fallback', name);
    backend.disposeData(out.dataId);
    return fallback(args);
  }
}

function nativeKernel(addon: OnednnAddon, name: KernelName, fallback: KernelFunc): KernelFunc {
  const fused = name.startsWith('Fused');
  const depthwise = name.includes('Depthwise');
  const kind = name.endsWith('BackpropInput')
    ? ConvKind.backwardData
    : name.endsWith('BackpropFilter')
      ? ConvKind.backwardWeights
      : ConvKind.forward;
  const offsets = new Float64Array(4);
  const declined = (args: Args) => {
    countCall('fallback', name);
    return fallback(args);
  };
  return (args: Args) => {
    if (!onednnState.enabled) return fallback(args);
    const { inputs, attrs } = args;
    const activation = fused ? ((attrs as Attrs).activation as string) : 'linear';
    const bias = fused ? inputs.bias : undefined;
    if ((activation !== 'linear' && activation !== 'relu') || (fused && inputs.preluActivationWeights))
      return declined(args);
    if (Object.values(inputs).some((t) => t && t.dtype !== 'float32') || (bias && bias.shape.length !== 1))
      return declined(args);
    const info = convInfo(name, inputs, attrs as Attrs);
    const dims = dimsOf(info, depthwise, activation === 'relu', bias != null);
    if (!dims) return declined(args);
    const outShape =
      kind === ConvKind.forward
        ? info.outShape
        : kind === ConvKind.backwardData
          ? ((attrs as Attrs).inputShape as number[])
          : ((attrs as Attrs).filterShape as number[]);
    return runNative(
      name,
      args,
      outShape,
      (heap, at, out) => {
        // Slots: [x | dx, filter | dfilter, y | dy, bias].
        if (kind === ConvKind.forward) offsets.set([at(inputs.x!), at(inputs.filter!), at(out), bias ? at(bias) : 0]);
        else if (kind === ConvKind.backwardData) offsets.set([at(out), at(inputs.filter!), at(inputs.dy!), 0]);
        else offsets.set([at(inputs.x!), at(out), at(inputs.dy!), 0]);
        addon.conv(kind, heap, offsets, dims);
      },
      fallback,
    );
  };
}

/** Mean or Sum over axes [1, 2] of a float32 [B, H, W, C] tensor (global pooling) natively. */
function spatialKernel(addon: OnednnAddon, name: 'Mean' | 'Sum', fallback: KernelFunc): KernelFunc {
  const offsets = new Float64Array(2);
  return (args: Args) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    if (!onednnState.enabled || x.dtype !== 'float32' || x.shape.length !== 4 || axes.join() !== '1,2')
      return fallback(args); // other reductions: not counted, by design
    const [b, h, w, c] = x.shape;
    return runNative(
      name,
      args,
      keepDims ? [b, 1, 1, c] : [b, c],
      (heap, at, out) => {
        offsets.set([at(x), at(out)]);
        addon.spatialSum(heap, offsets, b, h * w, c, name === 'Mean' ? 1 / (h * w) : 1);
      },
      fallback,
    );
  };
}

// Below this many elements the native call's fixed cost outweighs the work.
const MIN_NATIVE_ELEMENTS = 16384;
const sizeOf = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
/** `small` is [B, 1, ..., 1] against `big` [B, ...]: one factor per example (stochastic depth's mask). */
const perRow = (big: TensorInfo, small: TensorInfo) =>
  big.shape.length === small.shape.length &&
  big.shape.length > 1 &&
  big.shape[0] === small.shape[0] &&
  small.shape.slice(1).every((d) => d === 1);
/** `small` is [B, 1, 1, C] against `big` [B, H, W, C]: one factor per example and channel (squeeze-and-excitation). */
const perChannel = (big: TensorInfo, small: TensorInfo) =>
  big.shape.length === 4 &&
  small.shape.length === 4 &&
  small.shape[0] === big.shape[0] &&
  small.shape[1] === 1 &&
  small.shape[2] === 1 &&
  small.shape[3] === big.shape[3];

/** Large same-shape Add / Multiply, and Multiply by per-example or per-example-and-channel factors, natively on all threads. */
function binaryKernel(addon: OnednnAddon, name: 'Add' | 'Multiply', fallback: KernelFunc): KernelFunc {
  const offsets = new Float64Array(3);
  return (args: Args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (!onednnState.enabled || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    let [x, y, kind] = [a, b, name === 'Add' ? BinaryKind.add : BinaryKind.multiply] as [
      TensorInfo,
      TensorInfo,
      number,
    ];
    if (a.shape.join() !== b.shape.join()) {
      if (name !== 'Multiply') return fallback(args);
      const [big, small] = sizeOf(a) >= sizeOf(b) ? [a, b] : [b, a];
      if (perRow(big, small)) kind = BinaryKind.scaleRows;
      else if (perChannel(big, small)) kind = BinaryKind.scaleChannels;
      else return fallback(args);
      [x, y] = [big, small];
    }
    const n = sizeOf(x);
    if (n < MIN_NATIVE_ELEMENTS) return fallback(args);
    const perExample = kind === BinaryKind.scaleRows || kind === BinaryKind.scaleChannels;
    return runNative(
      name,
      args,
      x.shape,
      (heap, at, out) => {
        offsets.set([at(x), at(y), at(out)]);
        addon.binary(
          kind,
          heap,
          offsets,
          n,
          perExample ? n / x.shape[0] : 1,
          kind === BinaryKind.scaleChannels ? x.shape[3] : 1,
        );
      },
      fallback,
    );
  };
}

let registered: { version: string; threads: number } | null = null;

/**
 * Switch the registered oneDNN kernels off (back to wasm's) or on, and optionally set oneDNN's
 * thread count; for benchmarks that compare both in one process. Returns the thread count.
 */
export function configureOnednn(options: { enabled?: boolean; threads?: number }): number {
  if (options.enabled !== undefined) onednnState.enabled = options.enabled;
  const { addon } = loadOnednn();
  return addon ? addon.threads(options.threads ?? 0) : 0;
}

/**
 * Route the wasm backend's convolutions, batch norm, activations, global pooling, large
 * elementwise ops and optimizer steps through the addon. Returns what got registered, or the reason
 * nothing did.
 */
export function registerOnednnKernels(): { version: string; threads: number } | { error: string } {
  if (registered) return registered;
  const { addon, error } = loadOnednn();
  if (!addon) return { error };
  const wrap = (name: string, make: (previous: KernelFunc) => KernelFunc) => {
    const previous = tf.getKernel(name, 'wasm');
    if (!previous) return;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...previous, kernelFunc: make(previous.kernelFunc) });
  };
  for (const name of KERNELS) wrap(name, (previous) => nativeKernel(addon, name, previous));
  wrap('Mean', (previous) => spatialKernel(addon, 'Mean', previous));
  wrap('Sum', (previous) => spatialKernel(addon, 'Sum', previous));
  wrap('Add', (previous) => binaryKernel(addon, 'Add', previous));
  wrap('Multiply', (previous) => binaryKernel(addon, 'Multiply', previous));
  registerOnednnBatchNorm(addon);
  registerOnednnActivations(addon);
  registerOnednnUpdates(addon);
  onednnState.registered = true;
  registered = { version: addon.version(), threads: addon.threads() };
  return registered;
}
