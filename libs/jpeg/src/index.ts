// Loader for the optional libjpeg-turbo addon built by ../build.mjs at install time. Returns null
// (with the reason) when it was not built or cannot load, so callers decode through sharp instead.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What `decodeCrop` did: the picture is in `out`, or it needs another decoder (CMYK/YCCK, an ICC profile). */
export const DecodeResult = { done: 0, deferred: 1 } as const;

export interface JpegAddon {
  /**
   * Decode the crop `box` = [top, left, height, width] of a JPEG, bicubic-resize it to outH x outW,
   * mirror it left-right when `flip`, and write it HWC into `out` from element `offset`: as uint8,
   * or, for a Float32Array, as `lut[c * 256 + value]` (normalisation by table). Refuses pictures
   * whose header exceeds maxSide a side or maxPixels before decoding. Throws an Error whose `code`
   * is CORRUPT (libjpeg error or warning), LIMIT (message "<w>x<h>") or ARGS.
   */
  decodeCrop(
    bytes: Uint8Array,
    box: Int32Array,
    outH: number,
    outW: number,
    flip: boolean,
    channels: 1 | 3,
    out: Uint8Array | Float32Array,
    offset: number,
    lut: Float32Array | null,
    maxSide: number,
    maxPixels: number,
  ): (typeof DecodeResult)[keyof typeof DecodeResult];
  version(): string;
}

export type LoadResult = { addon: JpegAddon; error: null } | { addon: null; error: string };

let loaded: LoadResult | null = null;

export function loadJpeg(): LoadResult {
  if (loaded) return loaded;
  const path = fileURLToPath(new URL('../build/jpeg.node', import.meta.url));
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as JpegAddon, error: null };
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
        ? 'not built (see libs/jpeg/build.mjs)'
        : (err as Error).message;
    loaded = { addon: null, error: why };
  }
  return loaded;
}
