// Decoding (PNG, JPEG) to HWC uint8 pixels, channel conversion, bilinear resize, PNG encoding.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { MAX_IMAGE_PIXELS, checkImageSize, pictureError, type Where } from './image-limits.js';

export { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from './image-limits.js';

/** An image as HWC uint8 pixels. */
export interface Image {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8;

/** Width and height from the header (PNG IHDR, JPEG SOFn), without decoding; null if not found. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes)) {
    // Signature (8), then the IHDR chunk: length (4), type (4), width (4), height (4).
    if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
    return { width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (isJpeg(bytes)) {
    for (let p = 2; p + 9 <= bytes.length && bytes[p] === 0xff; p += 2 + dv.getUint16(p + 2)) {
      const m = bytes[p + 1];
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
        return { height: dv.getUint16(p + 5), width: dv.getUint16(p + 7) };
      if (m === 0xda) return null; // scan data without a frame header
    }
  }
  return null;
}

/**
 * Decode PNG or JPEG bytes into `channels` (1 = grey, 3 = RGB); `where` (a file name, or a shard
 * and record) names the source in errors. Pictures over the size limit are refused from the header.
 */
export function decodeImage(
  bytes: Uint8Array,
  channels: 1 | 3,
  where: string | Where,
  maxPixels: number = MAX_IMAGE_PIXELS,
): Image {
  let rgba: { width: number; height: number; data: Uint8Array };
  const kind = isPng(bytes) ? 'PNG' : isJpeg(bytes) ? 'JPEG' : null;
  if (!kind) throw pictureError(where, 'cannot decode image: neither PNG nor JPEG');
  // Refuse huge images from the header, before the decoder allocates width * height * 4 bytes.
  const size = imageSize(bytes);
  if (size) checkImageSize(size.width, size.height, where, maxPixels);
  try {
    rgba =
      kind === 'PNG'
        ? PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  } catch (cause) {
    // The decoders' own words for a cut-off file are cryptic ("read requests waiting on finished stream").
    throw pictureError(
      where,
      `cannot decode image: truncated or corrupt ${kind} (${bytes.length} bytes; decoder said: ${(cause as Error).message})`,
      cause,
    );
  }
  return fromRgba(rgba.data, rgba.height, rgba.width, channels);
}

function fromRgba(rgba: Uint8Array, height: number, width: number, channels: 1 | 3): Image {
  const n = height * width;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i],
      g = rgba[4 * i + 1],
      b = rgba[4 * i + 2];
    if (channels === 1) data[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      data[3 * i] = r;
      data[3 * i + 1] = g;
      data[3 * i + 2] = b;
    }
  }
  return { height, width, channels, data };
}

/** Encode an image as PNG (for reports and sample grids). */
export function encodePng(img: Image): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) png.data[4 * i + c] = img.data[i * img.channels + (img.channels === 1 ? 0 : c)];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** Encode an image as JPEG (RGB; grey is replicated), as the original stores `image/encoded`. */
export function encodeJpeg(img: Image, quality = 100): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = img.data[i * img.channels + (img.channels === 1 ? 0 : c)];
    rgba[4 * i + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: img.width, height: img.height }, quality).data;
}

/** Bilinear resize (align-corners false), as used for folder datasets of mixed sizes. */
export function resizeImage(img: Image, height: number, width: number): Image {
  if (img.height === height && img.width === width) return img;
  const out = new Uint8Array(height * width * img.channels);
  const sy = img.height / height,
    sx = img.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(img.height - 1, Math.floor(fy)),
      y1 = Math.min(img.height - 1, y0 + 1),
      wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(img.width - 1, Math.floor(fx)),
        x1 = Math.min(img.width - 1, x0 + 1),
        wx = fx - x0;
      for (let c = 0; c < img.channels; c++) {
        const at = (yy: number, xx: number) => img.data[(yy * img.width + xx) * img.channels + c];
        const v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        out[(y * width + x) * img.channels + c] = Math.round(v);
      }
    }
  }
  return { height, width, channels: img.channels, data: out };
}
