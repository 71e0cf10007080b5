// The one size limit for decoded pictures, checked on the header before any decoder allocates:
// the pure-JS decoders (image.ts) and sharp (decode-image.ts) refuse the same pictures with the
// same DataError, naming the shard (or file) and record.
import { DataError } from '@noisy/core';

/** Where a picture came from, for errors: its shard (or file) and record index. */
export interface Where {
  readonly shard: string;
  readonly record: number;
}

/** Largest side decoded, in pixels. */
export const MAX_IMAGE_SIDE = 16384;
/** Largest picture decoded, in pixels (100 MP: ~300 MB as RGB). */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** A DataError about the picture at `where` (a file name, or a shard and record). */
export function pictureError(where: string | Where, message: string, cause?: unknown): DataError {
  const options = cause === undefined ? undefined : { cause };
  return typeof where === 'string'
    ? new DataError(where, message, undefined, options)
    : new DataError(where.shard, message, where.record, options);
}

/**
 * Refuse a picture whose header says it is larger than MAX_IMAGE_SIDE a side or `maxPixels` in
 * all, before anything of its size is allocated.
 */
export function checkImageSize(
  width: number,
  height: number,
  where: string | Where,
  maxPixels: number = MAX_IMAGE_PIXELS,
): void {
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > maxPixels)
    throw pictureError(
      where,
      `image is ${width}x${height}: larger than the limit (${MAX_IMAGE_SIDE} px a side, ${maxPixels / 1e6} megapixels)`,
    );
}
