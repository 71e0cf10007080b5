// Limits on untrusted input: a corrupted TFRecord length, a gzip bomb and a huge PNG are refused
// with a DataError naming the file, before the memory they ask for is allocated.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataError } from '@noisy/core';
import { maskedCrc32c } from './crc32c.js';
import { gunzipCapped } from './gzip.js';
import { readIdx } from './idx.js';
import { MAX_IMAGE_SIDE, decodeImage, encodeJpeg, encodePng, imageSize } from './image.js';
import { readTable } from './table/read-table.js';
import { MAX_RECORD_BYTES, decodeTFRecords, encodeTFRecords, readTFRecordFile } from './tfrecord.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const enc = new TextEncoder();
const temp = () => mkdtemp(join(tmpdir(), 'limits-'));
const caught = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    return e;
  }
  return null;
};
async function drain(it: AsyncIterable<unknown>) {
  for await (const _ of it) void _;
}

/** A PNG whose IHDR claims width x height, with one small IDAT: the header of a decompression bomb. */
function pngHeader(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    Buffer.from(data).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

describe('input limits', () => {
  it('tfrecord - a corrupted length field is a DataError naming file and record, streamed or in memory', async () => {
    const bytes = encodeTFRecords([enc.encode('first'), enc.encode('second')]);
    // Record 1's length (offset 21 = 16 + 5 bytes of record 0) becomes ~2^62: no CRC matches it.
    bytes[21 + 7] = 0x40;
    const dir = await temp();
    const file = join(dir, 'corrupt.tfrecord');
    await writeFile(file, bytes);
    const streamed = await caught(drain(readTFRecordFile(file)));
    expect(streamed).toBeInstanceOf(DataError);
    expect((streamed as DataError).message).toBe(
      `${file} (record 1): length CRC mismatch: the file is corrupt or not a TFRecord`,
    );
    const inMemory = await caught(() => [...decodeTFRecords(bytes, 'mem.tfrecord')]);
    expect((inMemory as DataError).message).toMatch(/^mem\.tfrecord \(record 1\): length CRC mismatch/);
  });

  it('tfrecord - a length with a valid CRC beyond the record limit is refused before allocating', async () => {
    const header = new Uint8Array(12);
    const dv = new DataView(header.buffer);
    dv.setBigUint64(0, BigInt(MAX_RECORD_BYTES) + 1n, true);
    dv.setUint32(8, maskedCrc32c(header.subarray(0, 8)), true);
    const file = join(await temp(), 'huge.tfrecord');
    await writeFile(file, header);
    const err = await caught(drain(readTFRecordFile(file)));
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `${file} (record 0): record length ${MAX_RECORD_BYTES + 1} exceeds the ${MAX_RECORD_BYTES}-byte limit`,
    );
  });

  it('gzip - output past the cap is refused naming the file and the cap; within it, inflated', async () => {
    const bomb = gzipSync(Buffer.alloc(4 << 20)); // 4 MiB of zeros in ~4 kB
    expect(bomb.length).toBeLessThan(10_000);
    const err = await caught(() => gunzipCapped(bomb, 'bomb.gz', 1 << 20));
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      'bomb.gz: inflates to more than 1048576 bytes (the limit for gzipped input)',
    );
    expect(gunzipCapped(bomb, 'bomb.gz', 8 << 20).length).toBe(4 << 20);
    const dir = await temp();
    await writeFile(join(dir, 'rows.csv.gz'), gzipSync(`a,label\n${'1,x\n'.repeat(1 << 18)}`));
    const table = await caught(
      readTable(join(dir, 'rows.csv.gz'), { delimiter: null, header: true, maxInflatedBytes: 1 << 16 }),
    );
    expect((table as DataError).message).toMatch(/rows\.csv\.gz: inflates to more than 65536 bytes/);
    await writeFile(join(dir, 'images.idx.gz'), bomb);
    expect((await caught(readIdx(join(dir, 'images.idx.gz'), 1 << 20))) as DataError).toBeInstanceOf(DataError);
  });

  it('image - a 30,000x30,000 PNG is refused from its header, before the decoder runs', () => {
    const read = vi.spyOn(PNG.sync, 'read');
    const huge = pngHeader(30_000, 30_000);
    expect(imageSize(huge)).toEqual({ width: 30_000, height: 30_000 });
    const err = (() => {
      try {
        decodeImage(huge, 3, 'upload.png');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `upload.png: image is 30000x30000: larger than the limit (${MAX_IMAGE_SIDE} px a side, 100 megapixels)`,
    );
    expect(read).not.toHaveBeenCalled();
    expect(() => decodeImage(pngHeader(16_000, 8_000), 1, 'wide.png')).toThrow(/larger than the limit/); // 128 MP
    // An ordinary image still decodes, and its header size is read right.
    const small = encodePng({ height: 3, width: 5, channels: 1, data: new Uint8Array(15).fill(9) });
    expect(imageSize(small)).toEqual({ width: 5, height: 3 });
    expect(decodeImage(small, 1, 'small.png').data).toEqual(new Uint8Array(15).fill(9));
    expect(imageSize(encodeJpeg({ height: 7, width: 11, channels: 1, data: new Uint8Array(77) }))).toEqual({
      width: 11,
      height: 7,
    });
  });
});
