// Size and EXIF orientation of a JPEG from its markers, without a native call: the training crop
// is sampled from the header before decoding, and asking libvips for it costs a thread-pool round
// trip per picture. Anything unusual returns null and the caller asks sharp instead.

export interface JpegHeader {
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1-8 (1 when absent). */
  readonly orientation: number;
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function exifOrientation(b: Uint8Array, start: number, end: number): number {
  // "Exif\0\0", then a TIFF header: byte order, 42, offset of IFD0.
  if (end - start < 14 || b[start] !== 0x45 || b[start + 1] !== 0x78 || b[start + 2] !== 0x69 || b[start + 3] !== 0x66)
    return 1;
  const t = start + 6;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = b[t] === 0x49;
  const ifd = t + dv.getUint32(t + 4, le);
  if (ifd + 2 > end) return 1;
  const n = dv.getUint16(ifd, le);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > end) return 1;
    if (dv.getUint16(e, le) === 0x0112) {
      const v = dv.getUint16(e + 8, le);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** Parse SOI .. SOFn; null when the bytes are not a JPEG this parser is sure about. */
export function readJpegHeader(b: Uint8Array): JpegHeader | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let orientation = 1;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1];
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2 || i + 2 + len > b.length) return null;
    if (m === 0xe1) orientation = exifOrientation(b, i + 4, i + 2 + len);
    else if (isSof(m)) {
      if (len < 7) return null;
      const height = (b[i + 5] << 8) | b[i + 6];
      const width = (b[i + 7] << 8) | b[i + 8];
      return width && height ? { width, height, orientation } : null;
    } else if (m === 0xda || m === 0xd9) return null; // scan or end before any frame header
    i += 2 + len;
  }
  return null;
}
