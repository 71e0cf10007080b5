// Inflating gzip input with a cap on the output, so that a small crafted file (a "gzip bomb")
// cannot exhaust memory: past the cap the file is refused, naming it and the cap.
import { gunzipSync } from 'node:zlib';
import { DataError } from '@noisy/core';

/** Most bytes a gzipped input may inflate to (tables and IDX files are read whole). @default 1 GiB */
export const MAX_INFLATED_BYTES = 1 << 30;

export function gunzipCapped(bytes: Uint8Array, file: string, maxBytes = MAX_INFLATED_BYTES): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || cause instanceof RangeError)
      throw new DataError(file, `inflates to more than ${maxBytes} bytes (the limit for gzipped input)`, undefined, {
        cause,
      });
    throw new DataError(file, 'is not valid gzip', undefined, { cause });
  }
}
