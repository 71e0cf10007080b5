// Fast picture decoding through sharp (libvips + mozjpeg/libjpeg-turbo, libpng, libwebp), with
// EXIF orientation, greyscale/CMYK/alpha to RGB (or grey), the size limit of image-limits.ts
// checked on the header before anything is allocated, and crop + bicubic resize + flip in one
// libvips pass that lets libjpeg shrink on load (DCT scaling) when the crop is much larger than
// its output. If sharp cannot load, the pure-JS decoders of image.ts take over (JPEG/PNG only, no
// EXIF orientation, bilinear resize) and `imageDecoder()` says so, for the run banner.
import type { Sharp, SharpOptions } from 'sharp';
import { decodeImage as decodeWithJs, resizeImage, type Image } from './image.js';
import { MAX_IMAGE_PIXELS, checkImageSize, pictureError as fail, type Where } from './image-limits.js';
import { readJpegHeader } from './jpeg-header.js';
import { nativeCrop } from './jpeg-native.js';

export type { Where } from './image-limits.js';

/** Pictures whose header promises more pixels than this are refused (the one limit of image-limits.ts). */
export const DEFAULT_MAX_PIXELS = MAX_IMAGE_PIXELS;

export type DecoderInfo =
  | { readonly kind: 'sharp'; readonly sharp: string; readonly libvips: string; readonly jpeg: string }
  | { readonly kind: 'js'; readonly reason: string };

type SharpFactory = (input?: Buffer | Uint8Array, options?: SharpOptions) => Sharp;
interface Loaded {
  factory: SharpFactory | null;
  info: DecoderInfo;
}

let loading: Promise<Loaded> | null = null;

async function loadSharp(): Promise<Loaded> {
  try {
    const mod = (await import('sharp')) as unknown as { default: SharpFactory & { versions: Record<string, string> } };
    const factory = mod.default;
    // One libvips thread per picture: parallelism comes from decoding many pictures at once.
    // No operation cache: every picture is new, so caching only holds memory.
    const f = factory as unknown as { concurrency(n: number): void; cache(on: boolean): void };
    f.concurrency(1);
    f.cache(false);
    const v = factory.versions;
    return {
      factory,
      info: {
        kind: 'sharp',
        sharp: v.sharp ?? '?',
        libvips: v.vips ?? '?',
        jpeg: v.mozjpeg ? `mozjpeg ${v.mozjpeg}` : 'libjpeg',
      },
    };
  } catch (cause) {
    return { factory: null, info: { kind: 'js', reason: `sharp did not load: ${(cause as Error).message}` } };
  }
}

const sharpOrNull = (): Promise<Loaded> => (loading ??= loadSharp());

/** Use the pure-JS decoders in this process even though sharp loads (to compare, or to work around a libvips fault). */
export function useJsDecoder(reason: string): void {
  loading = Promise.resolve({ factory: null, info: { kind: 'js', reason } });
}

/** Which decoder this process uses (sharp, or the pure-JS fallback and why), for the run banner. */
export async function imageDecoder(): Promise<DecoderInfo> {
  return (await sharpOrNull()).info;
}

/** One-line description of `imageDecoder()`. */
export function describeDecoder(d: DecoderInfo): string {
  switch (d.kind) {
    case 'sharp':
      return `sharp ${d.sharp} (libvips ${d.libvips}, ${d.jpeg})`;
    case 'js':
      return `pure-JS jpeg-js/pngjs fallback, slow, no WebP or EXIF orientation (${d.reason})`;
  }
}

/** Picture size as displayed (after EXIF orientation). */
export interface PictureHeader {
  readonly width: number;
  readonly height: number;
  readonly format: string;
}

export interface DecodeOptions {
  readonly where: Where;
  /** 3 = RGB (default; grey, CMYK and alpha are converted), 1 = grey. */
  readonly channels?: 1 | 3;
  /** @default DEFAULT_MAX_PIXELS */
  readonly maxPixels?: number;
}

/** A crop in displayed-picture coordinates. */
export interface Box {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

function checkBytes(bytes: Uint8Array, w: Where): Buffer {
  if (bytes.length === 0) throw fail(w, 'image/encoded is empty (zero bytes); re-encode or drop this record');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Read only the header: displayed size and format, checked against the pixel limit. */
export async function readPictureHeader(bytes: Uint8Array, o: DecodeOptions): Promise<PictureHeader> {
  const { factory } = await sharpOrNull();
  const buf = checkBytes(bytes, o.where);
  const max = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!factory) {
    // The JS decoders have no header-only mode: decode once (their own memory cap applies).
    const img = decodeJs(buf, 1, o.where, max);
    checkImageSize(img.width, img.height, o.where, max);
    return { width: img.width, height: img.height, format: buf[0] === 0x89 ? 'png' : 'jpeg' };
  }
  const jpeg = readJpegHeader(buf);
  if (jpeg) {
    checkImageSize(jpeg.width, jpeg.height, o.where, max);
    const swap = jpeg.orientation >= 5;
    return { width: swap ? jpeg.height : jpeg.width, height: swap ? jpeg.width : jpeg.height, format: 'jpeg' };
  }
  let m;
  try {
    // Header only: nothing of the picture's size is allocated, so the limit is ours to check.
    m = await factory(buf, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw fail(o.where, `cannot read picture header: corrupt or unsupported (${(cause as Error).message})`, cause);
  }
  const format = m.format ?? 'unknown';
  if (!m.width || !m.height) throw fail(o.where, `${format} header has no size`);
  checkImageSize(m.width, m.height, o.where, max);
  const swap = (m.orientation ?? 1) >= 5; // EXIF 5-8 rotate by 90 or 270 degrees
  return { width: swap ? m.height : m.width, height: swap ? m.width : m.height, format };
}

const decodeJs = (buf: Buffer, channels: 1 | 3, w: Where, max: number): Image => decodeWithJs(buf, channels, w, max);

async function run(pipeline: Sharp, channels: 1 | 3, w: Where): Promise<Image> {
  try {
    const p = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    const { data, info } = await p.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return {
      height: info.height,
      width: info.width,
      channels: info.channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (cause) {
    throw fail(w, `cannot decode picture: truncated or corrupt (${(cause as Error).message.split('\n')[0]})`, cause);
  }
}

/** sharp decodes a JPEG at reduced scale only when shrinking by 3x or more (2x DCT + a reduce). */
const SHRINK_ON_LOAD_FROM = 3;

const inputOptions = (max: number): SharpOptions => ({ autoOrient: true, limitInputPixels: max, failOn: 'error' });

/**
 * Decode a whole picture. With `atLeast`, decode at a reduced scale whose every side stays at or
 * above the target (JPEG shrink-on-load, then a cubic reduce); smaller pictures are not enlarged.
 */
export async function decodePicture(
  bytes: Uint8Array,
  o: DecodeOptions & { readonly atLeast?: { height: number; width: number } },
): Promise<Image> {
  const channels = o.channels ?? 3;
  const max = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { factory } = await sharpOrNull();
  if (!factory) {
    const img = decodeJs(checkBytes(bytes, o.where), channels, o.where, max);
    checkImageSize(img.width, img.height, o.where, max);
    if (!o.atLeast) return img;
    const s = Math.max(o.atLeast.height / img.height, o.atLeast.width / img.width);
    return s >= 1 ? img : resizeImage(img, Math.ceil(img.height * s), Math.ceil(img.width * s));
  }
  await readPictureHeader(bytes, o); // refuses a huge header before the decoder allocates
  let p = factory(checkBytes(bytes, o.where), inputOptions(max));
  if (o.atLeast) {
    p = p.resize(o.atLeast.width, o.atLeast.height, {
      fit: 'outside',
      withoutEnlargement: true,
      kernel: 'cubic',
      fastShrinkOnLoad: true,
    });
  }
  return run(p, channels, o.where);
}

/**
 * Crop `box` (displayed coordinates), resize it to `size` with a bicubic kernel and mirror it
 * left-right when `flip`, in one libvips pass. When the box is at least 3x larger than `size`,
 * libjpeg decodes at 1/2, 1/4 or 1/8 scale (DCT scaling, sharp's shrink-on-load).
 */
export async function cropResizePicture(
  bytes: Uint8Array,
  o: DecodeOptions & {
    readonly box: Box;
    readonly size: { height: number; width: number };
    readonly flip?: boolean;
    /** The header, when the caller already read it (to sample the box). */
    readonly header?: PictureHeader;
  },
): Promise<Image> {
  const channels = o.channels ?? 3;
  const max = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { factory } = await sharpOrNull();
  const head = o.header ?? (await readPictureHeader(bytes, o));
  const { box, size } = o;
  if (box.width < 1 || box.height < 1 || box.left < 0 || box.top < 0)
    throw fail(o.where, `empty crop ${JSON.stringify(box)}`);
  if (box.left + box.width > head.width || box.top + box.height > head.height)
    throw fail(o.where, `crop ${JSON.stringify(box)} is outside the ${head.width}x${head.height} picture`);
  // Plain JPEGs: libjpeg-turbo decodes only the crop (jpeg-native.ts); the rest goes on to sharp.
  const native = nativeCrop(checkBytes(bytes, o.where), { ...o, channels, maxPixels: max });
  if (native) return native;
  if (!factory) {
    const out = resizeImage(
      cropImage(decodeJs(checkBytes(bytes, o.where), channels, o.where, max), box),
      size.height,
      size.width,
    );
    return o.flip ? flipImage(out) : out;
  }
  const sx = size.width / box.width;
  const sy = size.height / box.height;
  let p = factory(checkBytes(bytes, o.where), inputOptions(max));
  if (Math.min(1 / sx, 1 / sy) >= SHRINK_ON_LOAD_FROM) {
    // Scale the whole picture so the box becomes `size`, then extract it: sharp then lets libjpeg
    // decode at 1/2, 1/4 or 1/8 scale.
    const W = Math.max(size.width, Math.round(head.width * sx));
    const H = Math.max(size.height, Math.round(head.height * sy));
    const left = Math.min(W - size.width, Math.round(box.left * sx));
    const top = Math.min(H - size.height, Math.round(box.top * sy));
    // sharp mirrors before this extract, so a flipped crop is taken from the mirrored side.
    p = p
      .resize(W, H, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: true })
      .extract({ left: o.flip ? W - size.width - left : left, top, width: size.width, height: size.height });
  } else {
    // No shrink-on-load possible: extract first, so that only the box is resampled.
    p = p.extract(box).resize(size.width, size.height, { fit: 'fill', kernel: 'cubic' });
  }
  // Mirrored inside the pipeline (about 0.05 ms): a mirrored copy in JavaScript cost about 0.4 ms.
  return run(o.flip ? p.flop() : p, channels, o.where);
}

/** Copy a box out of an HWC image. */
export function cropImage(img: Image, b: Box): Image {
  const c = img.channels;
  const data = new Uint8Array(b.height * b.width * c);
  for (let y = 0; y < b.height; y++) {
    const from = ((b.top + y) * img.width + b.left) * c;
    data.set(img.data.subarray(from, from + b.width * c), y * b.width * c);
  }
  return { height: b.height, width: b.width, channels: c, data };
}

/** Mirror an HWC image left-right (a new image). */
export function flipImage(img: Image): Image {
  const { height, width, channels: c } = img;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let x = 0; x < width; x++) {
      const a = row + x * c,
        b = row + (width - 1 - x) * c;
      for (let k = 0; k < c; k++) data[a + k] = img.data[b + k];
    }
  }
  return { height, width, channels: c, data };
}

/**
 * Check that a picture decodes, cheaply: its header (size limit) and a decode of the whole picture
 * at about 1/8 scale (libjpeg's DCT scaling reads every block but skips most of the inverse DCT).
 * Ingest runs it on every picture it keeps encoded, so a corrupt one fails ingest, not training.
 */
export async function verifyPicture(bytes: Uint8Array, o: DecodeOptions): Promise<PictureHeader> {
  const header = await readPictureHeader(bytes, o);
  const size = { width: Math.max(1, Math.ceil(header.width / 8)), height: Math.max(1, Math.ceil(header.height / 8)) };
  const box = { top: 0, left: 0, width: header.width, height: header.height };
  await cropResizePicture(bytes, { ...o, box, size, header });
  return header;
}
