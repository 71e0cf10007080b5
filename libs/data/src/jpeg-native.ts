// The fast path for plain JPEGs: @noisy/jpeg (libjpeg-turbo through its libjpeg API, an optional
// native addon) decodes only the crop, at a reduced DCT scale when the crop is at least twice the
// output, resizes it bicubically, mirrors it and can write normalised floats straight into a batch.
// Anything it does not handle goes to sharp: non-JPEG, EXIF-rotated (orientation != 1), CMYK/YCCK
// or ICC-tagged pictures, and every picture when the addon did not build.
import { DecodeResult, loadJpeg, type JpegAddon } from '@noisy/jpeg';
import type { Image } from './image.js';
import { MAX_IMAGE_SIDE, checkImageSize, pictureError, type Where } from './image-limits.js';
import { readJpegHeader } from './jpeg-header.js';

/** A crop in displayed-picture coordinates (as decode-image.ts's Box). */
interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

export interface NativeCrop {
  readonly where: Where;
  readonly box: CropBox;
  readonly size: { readonly height: number; readonly width: number };
  readonly flip?: boolean;
  readonly channels: 1 | 3;
  readonly maxPixels: number;
}

let disabled: string | null = null;

/** Send every picture to sharp in this process (to compare decoders), or (null) allow the addon again. */
export function disableNativeJpeg(reason: string | null): void {
  disabled = reason;
}

/** The addon when it loaded and is allowed, else null. */
function addon(): JpegAddon | null {
  return disabled === null ? loadJpeg().addon : null;
}

/** Which JPEG decoder training input uses, for the run banner and the benchmark. */
export function nativeJpegInfo():
  { readonly kind: 'libjpeg-turbo'; readonly version: string } | { readonly kind: 'sharp'; readonly reason: string } {
  if (disabled !== null) return { kind: 'sharp', reason: disabled };
  const { addon: a, error } = loadJpeg();
  return a ? { kind: 'libjpeg-turbo', version: a.version() } : { kind: 'sharp', reason: `@noisy/jpeg ${error}` };
}

/**
 * Decode `o.box` of `bytes` into `out` from `offset` (uint8, or normalised through `lut` when
 * `out` is a Float32Array). False when the addon is absent or the picture needs sharp; a corrupt
 * picture or an oversized header is a DataError naming shard and record.
 */
export function nativeCropInto(
  bytes: Uint8Array,
  o: NativeCrop,
  out: Uint8Array | Float32Array,
  offset: number,
  lut: Float32Array | null,
): boolean {
  const a = addon();
  if (!a || bytes.length === 0) return false;
  const head = readJpegHeader(bytes);
  if (!head || head.orientation !== 1) return false;
  const { box, size } = o;
  const box32 = Int32Array.of(box.top, box.left, box.height, box.width);
  try {
    const r = a.decodeCrop(
      bytes,
      box32,
      size.height,
      size.width,
      o.flip ?? false,
      o.channels,
      out,
      offset,
      lut,
      MAX_IMAGE_SIDE,
      o.maxPixels,
    );
    return r === DecodeResult.done;
  } catch (cause) {
    const e = cause as Error & { code?: string };
    if (e.code === 'LIMIT') {
      const [w, h] = e.message.split('x').map(Number);
      checkImageSize(w, h, o.where, o.maxPixels);
    }
    throw pictureError(o.where, `cannot decode picture: truncated or corrupt (${e.message})`, cause);
  }
}

/** As nativeCropInto, into a new uint8 image; null when the picture needs sharp. */
export function nativeCrop(bytes: Uint8Array, o: NativeCrop): Image | null {
  const data = new Uint8Array(o.size.height * o.size.width * o.channels);
  return nativeCropInto(bytes, o, data, 0, null)
    ? { height: o.size.height, width: o.size.width, channels: o.channels, data }
    : null;
}
