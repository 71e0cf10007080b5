// The 16 RandAugment operations of the original (randaugment.py), on HWC uint8 images in plain
// JavaScript: no tensors, so they run on a worker thread or beside the model without touching
// the backend. Geometric ops use nearest-neighbour sampling and fill 128, as the original. Every
// formula follows the original's TF code, including where it differs from PIL (Contrast's
// degenerate value, truncating casts); docs/method.md lists the few places that cannot match.
import type { Image } from '@noisy/data';

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
const like = (img: Image, data: Uint8Array): Image => ({
  height: img.height,
  width: img.width,
  channels: img.channels,
  data,
});

/** TF's blend: degenerate + factor * (image - degenerate); truncated inside (0,1), clipped outside. */
export function blend(degenerate: Uint8Array, img: Image, factor: number): Image {
  if (factor === 0) return like(img, Uint8Array.from(degenerate));
  if (factor === 1) return img;
  const out = new Uint8Array(img.data.length);
  const inside = factor > 0 && factor < 1;
  for (let i = 0; i < out.length; i++) {
    const v = degenerate[i] + factor * (img.data[i] - degenerate[i]);
    out[i] = inside ? Math.trunc(v) : Math.trunc(clamp(v));
  }
  return like(img, out);
}

/**
 * Luma as tf.image.rgb_to_grayscale computes it on uint8: weights on [0, 1] floats, then
 * convert_image_dtype back, which multiplies by 255.5 and truncates. Replicated to every channel.
 */
function grayscale(img: Image): Uint8Array {
  if (img.channels === 1) return Uint8Array.from(img.data);
  const out = new Uint8Array(img.data.length);
  for (let p = 0; p < img.height * img.width; p++) {
    const luma = (0.2989 * img.data[3 * p] + 0.587 * img.data[3 * p + 1] + 0.114 * img.data[3 * p + 2]) / 255;
    out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = clamp(Math.trunc(luma * 255.5));
  }
  return out;
}

/** C's round (half away from zero), as TF's nearest-neighbour projective transform samples. */
const roundHalfAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

export const invert = (img: Image): Image =>
  like(
    img,
    img.data.map((v) => 255 - v),
  );

export function solarize(img: Image, threshold: number): Image {
  return like(
    img,
    img.data.map((v) => (v < threshold ? v : 255 - v)),
  );
}

export function solarizeAdd(img: Image, addition: number, threshold = 128): Image {
  return like(
    img,
    img.data.map((v) => (v < threshold ? clamp(v + addition) : v)),
  );
}

/**
 * Keep the top `bits` bits. TF's bitwise shifts clamp the shift to [0, 7] on uint8, so bits = 0
 * (M < 2.5) keeps the top bit and bits >= 8 (M >= 20) is the identity.
 */
export function posterize(img: Image, bits: number): Image {
  const shift = Math.min(7, Math.max(0, 8 - bits));
  return like(
    img,
    img.data.map((v) => (v >> shift) << shift),
  );
}

export const color = (img: Image, factor: number): Image => blend(grayscale(img), img, factor);
export const brightness = (img: Image, factor: number): Image => blend(new Uint8Array(img.data.length), img, factor);

/**
 * The original's Contrast: its "mean" is the sum of the grey histogram's counts over 256, i.e. the
 * pixel count / 256 (not the grey mean PIL uses), clipped to 255 and truncated. We keep it: it is
 * the noise the published results were trained with.
 */
export function contrast(img: Image, factor: number): Image {
  const mean = Math.min(255, (img.height * img.width) / 256);
  return blend(new Uint8Array(img.data.length).fill(Math.trunc(mean)), img, factor);
}

// float32 kernel weights as TF holds them (both round up, so integer means stay integer).
const W1 = Math.fround(1 / 13);
const W5 = Math.fround(5 / 13);

/** Blend with a 3x3 smoothing ([1 1 1; 1 5 1; 1 1 1] / 13, truncated to uint8); the border keeps its pixels. */
export function sharpness(img: Image, factor: number): Image {
  const { height: H, width: W, channels: C, data } = img;
  const smooth = Uint8Array.from(data);
  for (let y = 1; y < H - 1; y++)
    for (let x = 1; x < W - 1; x++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++)
            s += data[((y + dy) * W + x + dx) * C + c] * (dx === 0 && dy === 0 ? W5 : W1);
        smooth[(y * W + x) * C + c] = clamp(Math.trunc(s));
      }
  return blend(smooth, img, factor);
}

export function autoContrast(img: Image): Image {
  const out = new Uint8Array(img.data.length);
  for (let c = 0; c < img.channels; c++) {
    let lo = 255,
      hi = 0;
    for (let i = c; i < img.data.length; i += img.channels) {
      lo = Math.min(lo, img.data[i]);
      hi = Math.max(hi, img.data[i]);
    }
    const scale = hi > lo ? 255 / (hi - lo) : 1;
    for (let i = c; i < img.data.length; i += img.channels)
      out[i] = hi > lo ? clamp(Math.trunc((img.data[i] - lo) * scale)) : img.data[i];
  }
  return like(img, out);
}

/** Histogram equalisation per channel, TF/PIL style (step from all but the last non-zero bin). */
export function equalize(img: Image): Image {
  const out = new Uint8Array(img.data.length);
  for (let c = 0; c < img.channels; c++) {
    const hist = new Array<number>(256).fill(0);
    for (let i = c; i < img.data.length; i += img.channels) hist[img.data[i]]++;
    let last = 255;
    while (last > 0 && hist[last] === 0) last--;
    const total = hist.reduce((a, b) => a + b, 0);
    const step = Math.floor((total - hist[last]) / 255);
    const lut = new Uint8Array(256);
    if (step === 0) for (let v = 0; v < 256; v++) lut[v] = v;
    else {
      let cum = 0;
      for (let v = 0; v < 256; v++) {
        lut[v] = clamp(Math.floor((cum + Math.floor(step / 2)) / step));
        cum += hist[v];
      }
    }
    for (let i = c; i < img.data.length; i += img.channels) out[i] = lut[img.data[i]];
  }
  return like(img, out);
}

/** Output (x, y) samples input (a*x + b*y + c, d*x + e*y + f), nearest neighbour, fill 128. */
export function affine(img: Image, [a, b, c, d, e, f]: [number, number, number, number, number, number]): Image {
  const { height: H, width: W, channels: C, data } = img;
  const out = new Uint8Array(data.length).fill(128);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const sx = roundHalfAway(a * x + b * y + c),
        sy = roundHalfAway(d * x + e * y + f);
      if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
      for (let ch = 0; ch < C; ch++) out[(y * W + x) * C + ch] = data[(sy * W + sx) * C + ch];
    }
  return like(img, out);
}

export const shearX = (img: Image, level: number) => affine(img, [1, level, 0, 0, 1, 0]);
export const shearY = (img: Image, level: number) => affine(img, [1, 0, 0, level, 1, 0]);
export const translateX = (img: Image, pixels: number) => affine(img, [1, 0, pixels, 0, 1, 0]);
export const translateY = (img: Image, pixels: number) => affine(img, [1, 0, 0, 0, 1, pixels]);

/** Rotate by `degrees` counter-clockwise about the centre. */
export function rotate(img: Image, degrees: number): Image {
  const r = (degrees * Math.PI) / 180;
  const cx = (img.width - 1) / 2,
    cy = (img.height - 1) / 2;
  const cos = Math.cos(r),
    sin = Math.sin(r);
  return affine(img, [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy]);
}

/** Fill a (2*pad)-square centred at (cy, cx), clipped at the borders, with `fill`. */
export function cutout(img: Image, pad: number, cy: number, cx: number, fill = 128): Image {
  const out = Uint8Array.from(img.data);
  for (let y = Math.max(0, cy - pad); y < Math.min(img.height, cy + pad); y++)
    for (let x = Math.max(0, cx - pad); x < Math.min(img.width, cx + pad); x++)
      for (let c = 0; c < img.channels; c++) out[(y * img.width + x) * img.channels + c] = fill;
  return like(img, out);
}

/** Reflect-pad by `pad` and crop back to the original size at offset (oy, ox) in [0, 2*pad]. */
export function padCrop(img: Image, pad: number, oy: number, ox: number): Image {
  const { height: H, width: W, channels: C, data } = img;
  const reflect = (v: number, n: number) => (v < 0 ? -v : v >= n ? 2 * n - 2 - v : v);
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const sy = reflect(y + oy - pad, H),
        sx = reflect(x + ox - pad, W);
      for (let c = 0; c < C; c++) out[(y * W + x) * C + c] = data[(sy * W + sx) * C + c];
    }
  return like(img, out);
}

export function flipHorizontal(img: Image): Image {
  const { height: H, width: W, channels: C, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) out[(y * W + x) * C + c] = data[(y * W + (W - 1 - x)) * C + c];
  return like(img, out);
}
