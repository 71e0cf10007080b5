// TFRecord framing over streams of chunks (an object-store stream, a file stream): records are
// cut out of the chunks as they arrive, both CRCs checked, so a reader holds one record and one
// chunk at a time, never the whole file. Errors name the file and the record index.
import { DataError } from '@noisy/core';
import { maskedCrc32c } from './crc32c.js';
import { concatBytes } from './tfrecord.js';

/** One record's frame: uint64 length, masked CRC32C of the length, data, masked CRC32C of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Iterate the records of a TFRecord byte stream. A record that lies inside one chunk is a view of
 * it (copy it to keep it past the next step of the iteration without pinning the chunk); a record
 * that spans chunks is joined into its own buffer.
 */
export async function* decodeTFRecordStream(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  let buf: Uint8Array = new Uint8Array(0); // bytes received and not yet consumed
  let ended = false;
  const fill = async (need: number): Promise<boolean> => {
    if (buf.length >= need) return true;
    const parts: Uint8Array[] = [buf];
    let have = buf.length;
    while (have < need && !ended) {
      const r = await it.next();
      if (r.done) ended = true;
      else if (r.value.length) {
        parts.push(r.value);
        have += r.value.length;
      }
    }
    buf = parts.length === 1 ? parts[0] : concatBytes(parts, have);
    return buf.length >= need;
  };
  try {
    for (let index = 0; ; index++) {
      if (!(await fill(12))) {
        if (buf.length > 0) throw new DataError(file, 'truncated record header', index);
        return;
      }
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      // Check the length's CRC before trusting it: a corrupt length must not make us read on.
      if (dv.getUint32(8, true) !== maskedCrc32c(buf.subarray(0, 8)))
        throw new DataError(file, 'length CRC mismatch: the file is corrupt or not a TFRecord', index);
      const length = Number(dv.getBigUint64(0, true));
      if (!(await fill(16 + length))) throw new DataError(file, `truncated record: needs ${length} bytes`, index);
      const data = buf.subarray(12, 12 + length);
      if (new DataView(buf.buffer, buf.byteOffset + 12 + length, 4).getUint32(0, true) !== maskedCrc32c(data))
        throw new DataError(file, 'data CRC mismatch: the record is corrupt', index);
      buf = buf.subarray(16 + length);
      yield data;
    }
  } finally {
    await it.return?.();
  }
}
