// Convolution gradients for the wasm backend, written as forward convolutions that XNNPACK runs
// fast. tfjs 4.22's wasm backend lacks Conv2DBackpropFilter and both depthwise backprops (so no
// conv net can train on it), and its Conv2DBackpropInput is a scalar loop (62% of a WRN step).
//
//   dW = conv(x^T, dy^T) with the forward stride as dilation        [KH, KW, Ci, Co]
//   dx = conv(zero-dilated dy, rot180(W)^T), fully padded            [B, H, W, Ci]
// Checked against the cpu backend's kernels in wasm-gradients.test.ts.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';

type Backend = { incRef(dataId: unknown): void };
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Wrap a kernel input as a Tensor without taking ownership of its data. */
function borrow(info: TensorInfo, backend: Backend): tf.Tensor {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Hand a computed tensor's data to the engine as the kernel's output. */
function handOver(t: tf.Tensor, backend: Backend): TensorInfo {
  backend.incRef(t.dataId);
  const info = { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
  t.dispose();
  return info;
}

/** Pad (positive) or crop (negative) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const padded = tf.pad(x, [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ]);
  if (top >= 0 && bottom >= 0 && left >= 0 && right >= 0) return padded;
  const [b, h, w, c] = padded.shape;
  const t0 = Math.max(-top, 0),
    l0 = Math.max(-left, 0);
  return tf.slice(
    padded,
    [0, t0, l0, 0],
    [b, h - t0 - Math.max(-bottom, 0), w - l0 - Math.max(-right, 0), c],
  ) as tf.Tensor4D;
}

/** Insert (s-1) zeros between rows and columns: [B, OH, OW, C] -> [B, (OH-1)sH+1, (OW-1)sW+1, C]. */
function dilateSpatial(dy: tf.Tensor4D, sH: number, sW: number): tf.Tensor4D {
  if (sH === 1 && sW === 1) return dy;
  const [b, oh, ow, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sH - 1],
    [0, 0],
    [0, sW - 1],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [b, oh * sH, ow * sW, c]),
    [0, 0, 0, 0],
    [b, (oh - 1) * sH + 1, (ow - 1) * sW + 1, c],
  ) as tf.Tensor4D;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  rounding: unknown,
  depthwise: boolean,
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'same',
    rounding as 'floor',
    depthwise,
    'channelsLast',
  );
}

/** dW for conv2d: x [B,H,W,Ci], dy [B,OH,OW,Co] -> [KH,KW,Ci,Co]. */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  rounding?: unknown,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, strides, pad, rounding, false);
    const { strideHeight: sH, strideWidth: sW, filterHeight: KH, filterWidth: KW, outHeight: OH, outWidth: OW } = info;
    const needH = (OH - 1) * sH + KH,
      needW = (OW - 1) * sW + KW;
    const xp = padOrCrop(
      x,
      info.padInfo.top,
      needH - x.shape[1] - info.padInfo.top,
      info.padInfo.left,
      needW - x.shape[2] - info.padInfo.left,
    );
    const xT = tf.transpose(xp, [3, 1, 2, 0]); //  [Ci, needH, needW, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Co] used as a filter
    const r = tf.conv2d(xT, dyT as tf.Tensor4D, 1, 'valid', 'NHWC', [sH, sW]); // [Ci, KH, KW, Co]
    return tf.transpose(r, [1, 2, 0, 3]); // [KH, KW, Ci, Co]
  });
}

/** dx for conv2d: dy [B,OH,OW,Co], W [KH,KW,Ci,Co] -> [B,H,W,Ci]. */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: number[],
  strides: number | [number, number],
  pad: Pad,
  rounding?: unknown,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, strides, pad, rounding, false);
    const { strideHeight: sH, strideWidth: sW, filterHeight: KH, filterWidth: KW } = info;
    const [, H, W] = inputShape;
    const dyd = dilateSpatial(dy, sH, sW);
    const top = KH - 1 - info.padInfo.top,
      left = KW - 1 - info.padInfo.left;
    const padded = padOrCrop(dyd, top, H + KH - 1 - dyd.shape[1] - top, left, W + KW - 1 - dyd.shape[2] - left);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [KH, KW, Co, Ci]
    return tf.conv2d(padded, flipped as tf.Tensor4D, 1, 'valid');
  });
}

/** dW for depthwise conv: x [B,H,W,C], dy [B,OH,OW,C*m] -> [KH,KW,C,m]. */
export function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  rounding?: unknown,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, strides, pad, rounding, true);
    const { strideHeight: sH, strideWidth: sW, filterHeight: KH, filterWidth: KW, outHeight: OH, outWidth: OW } = info;
    const [B, , , C] = x.shape;
    const m = filterShape[3];
    const needH = (OH - 1) * sH + KH,
      needW = (OW - 1) * sW + KW;
    const xp = padOrCrop(
      x,
      info.padInfo.top,
      needH - x.shape[1] - info.padInfo.top,
      info.padInfo.left,
      needW - x.shape[2] - info.padInfo.left,
    );
    // Fold batch into channels so one depthwise conv sums over space: [1, needH, needW, B*C].
    const xFold = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, needH, needW, B * C]) as tf.Tensor4D;
    const dy5 = tf.reshape(dy, [B, OH, OW, C, m]);
    const perQ: tf.Tensor[] = [];
    for (let q = 0; q < m; q++) {
      const dyq =
        m === 1
          ? tf.reshape(dy5, [B, OH, OW, C])
          : tf.reshape(tf.slice(dy5, [0, 0, 0, 0, q], [B, OH, OW, C, 1]), [B, OH, OW, C]);
      const filt = tf.reshape(tf.transpose(dyq, [1, 2, 0, 3]), [OH, OW, B * C, 1]);
      const r = tf.depthwiseConv2d(xFold, filt as tf.Tensor4D, 1, 'valid', 'NHWC', [sH, sW]); // [1, KH, KW, B*C]
      perQ.push(tf.sum(tf.reshape(r, [KH, KW, B, C]), 2)); // [KH, KW, C]
    }
    return tf.stack(perQ, 3) as tf.Tensor4D;
  });
}

/** dx for depthwise conv: dy [B,OH,OW,C*m], W [KH,KW,C,m] -> [B,H,W,C]. */
export function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: number[],
  strides: number | [number, number],
  pad: Pad,
  rounding?: unknown,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(inputShape, filter.shape, strides, pad, rounding, true);
    const { strideHeight: sH, strideWidth: sW, filterHeight: KH, filterWidth: KW } = info;
    const [B, H, W, C] = inputShape;
    const m = filter.shape[3];
    const [, OH, OW] = dy.shape;
    const dy5 = tf.reshape(dy, [B, OH, OW, C, m]);
    const flipped = tf.reverse(filter, [0, 1]);
    let total: tf.Tensor4D | null = null;
    for (let q = 0; q < m; q++) {
      const dyq = tf.reshape(m === 1 ? dy5 : tf.slice(dy5, [0, 0, 0, 0, q], [B, OH, OW, C, 1]), [B, OH, OW, C]);
      const dyd = dilateSpatial(dyq as tf.Tensor4D, sH, sW);
      const top = KH - 1 - info.padInfo.top,
        left = KW - 1 - info.padInfo.left;
      const padded = padOrCrop(dyd, top, H + KH - 1 - dyd.shape[1] - top, left, W + KW - 1 - dyd.shape[2] - left);
      const fq = m === 1 ? flipped : tf.slice(flipped, [0, 0, 0, q], [KH, KW, C, 1]);
      const part = tf.depthwiseConv2d(padded, fq as tf.Tensor4D, 1, 'valid');
      total = total ? (tf.add(total, part) as tf.Tensor4D) : part;
    }
    return total as tf.Tensor4D;
  });
}

type Attrs = {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: unknown;
  filterShape?: number[];
  inputShape?: number[];
  dilations?: number | [number, number];
};

function kernel(
  kernelName: string,
  fn: (a: tf.Tensor4D, b: tf.Tensor4D, attrs: Attrs) => tf.Tensor4D,
  names: [string, string],
): KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const be = backend as unknown as Backend;
      const a = attrs as unknown as Attrs;
      const d = a.dilations;
      if (d !== undefined && d !== 1 && !(Array.isArray(d) && d[0] === 1 && d[1] === 1)) {
        throw new Error(`${kernelName} on wasm: dilations > 1 are not supported in gradients`);
      }
      const out = tf.tidy(() =>
        fn(
          borrow(inputs[names[0]] as TensorInfo, be) as tf.Tensor4D,
          borrow(inputs[names[1]] as TensorInfo, be) as tf.Tensor4D,
          a,
        ),
      );
      return handOver(out, be);
    },
  };
}

/** Register (or replace) the four convolution-gradient kernels on the wasm backend. */
export function registerWasmGradientKernels(): void {
  const configs = [
    kernel(
      'Conv2DBackpropFilter',
      (x, dy, a) => conv2dBackpropFilter(x, dy, a.filterShape!, a.strides, a.pad, a.dimRoundingMode),
      ['x', 'dy'],
    ),
    kernel(
      'Conv2DBackpropInput',
      (dy, w, a) => conv2dBackpropInput(dy, w, a.inputShape!, a.strides, a.pad, a.dimRoundingMode),
      ['dy', 'filter'],
    ),
    kernel(
      'DepthwiseConv2dNativeBackpropFilter',
      (x, dy, a) => depthwiseBackpropFilter(x, dy, a.filterShape!, a.strides, a.pad, a.dimRoundingMode),
      ['x', 'dy'],
    ),
    kernel(
      'DepthwiseConv2dNativeBackpropInput',
      (dy, w, a) => depthwiseBackpropInput(dy, w, a.inputShape!, a.strides, a.pad, a.dimRoundingMode),
      ['dy', 'filter'],
    ),
  ];
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, 'wasm')) tf.unregisterKernel(c.kernelName, 'wasm');
    tf.registerKernel(c);
  }
}
