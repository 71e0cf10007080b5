// TFRecord framing: uint64 length, masked CRC32C of the length, data, masked CRC32C of the data.
// Readers verify both CRCs and name the file and record index when one fails.
import { open } from 'node:fs/promises';
import { DataError } from '@noisy/core';
import { maskedCrc32c } from './crc32c.js';

/** Frame records into one TFRecord byte buffer. */
export function encodeTFRecords(records: Iterable<Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const data of records) {
    const header = new Uint8Array(12);
    const dv = new DataView(header.buffer);
    dv.setBigUint64(0, BigInt(data.length), true);
    dv.setUint32(8, maskedCrc32c(header.subarray(0, 8)), true);
    const footer = new Uint8Array(4);
    new DataView(footer.buffer).setUint32(0, maskedCrc32c(data), true);
    parts.push(header, data, footer);
    total += 16 + data.length;
  }
  return concatBytes(parts, total);
}

/** `parts` back to back in one buffer of `total` bytes. */
export function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Largest record a reader accepts (an image with its labels is far smaller). @default 256 MiB */
export const MAX_RECORD_BYTES = 256 << 20;

/**
 * The length of the record framed at `pos`, checked against its CRC and `MAX_RECORD_BYTES` before
 * anything is allocated for it: a corrupt length names the file and record instead of asking for
 * an impossible buffer.
 */
function recordLength(buf: Uint8Array, pos: number, file: string, index: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (pos + 12 > buf.length) throw new DataError(file, 'truncated record header', index);
  if (dv.getUint32(pos + 8, true) !== maskedCrc32c(buf.subarray(pos, pos + 8))) {
    throw new DataError(file, 'length CRC mismatch: the file is corrupt or not a TFRecord', index);
  }
  const length = dv.getBigUint64(pos, true);
  if (length > BigInt(MAX_RECORD_BYTES))
    throw new DataError(file, `record length ${length} exceeds the ${MAX_RECORD_BYTES}-byte limit`, index);
  return Number(length);
}

/** Validate the record framed at `pos`; returns its data and the offset after it. */
function frameAt(buf: Uint8Array, pos: number, file: string, index: number): { data: Uint8Array; end: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = recordLength(buf, pos, file, index);
  const start = pos + 12;
  if (start + length + 4 > buf.length) throw new DataError(file, `truncated record: needs ${length} bytes`, index);
  const data = buf.subarray(start, start + length);
  if (dv.getUint32(start + length, true) !== maskedCrc32c(data)) {
    throw new DataError(file, 'data CRC mismatch: the record is corrupt', index);
  }
  return { data, end: start + length + 4 };
}

/** Iterate the records of a TFRecord buffer; `file` names it in errors. */
export function* decodeTFRecords(buf: Uint8Array, file: string): Generator<Uint8Array> {
  let pos = 0;
  for (let index = 0; pos < buf.length; index++) {
    const { data, end } = frameAt(buf, pos, file, index);
    yield data;
    pos = end;
  }
}

/** Stream the records of a TFRecord file without loading it whole. */
export async function* readTFRecordFile(path: string, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r').catch((cause) => {
    throw new DataError(path, `cannot open: ${(cause as Error).message}`, undefined, { cause });
  });
  try {
    let buf = new Uint8Array(0);
    let eof = false;
    const fill = async (need: number): Promise<boolean> => {
      while (buf.length < need && !eof) {
        const chunk = new Uint8Array(Math.max(chunkSize, need - buf.length));
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) {
          eof = true;
          break;
        }
        const next = new Uint8Array(buf.length + bytesRead);
        next.set(buf);
        next.set(chunk.subarray(0, bytesRead), buf.length);
        buf = next;
      }
      return buf.length >= need;
    };
    for (let index = 0; ; index++) {
      if (!(await fill(12))) {
        if (buf.length > 0) throw new DataError(path, 'truncated record header', index);
        return;
      }
      await fill(16 + recordLength(buf, 0, path, index));
      const { data, end } = frameAt(buf, 0, path, index);
      yield data;
      buf = buf.subarray(end);
    }
  } finally {
    await fh.close();
  }
}
