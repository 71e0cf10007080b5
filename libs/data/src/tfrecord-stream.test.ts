import { describe, expect, it } from 'vitest';
import { DataError } from '@noisy/core';
import { decodeTFRecordStream, frameRecord } from './tfrecord-stream.js';
import { decodeTFRecords, encodeTFRecords } from './tfrecord.js';

const records = Array.from({ length: 9 }, (_, i) => new Uint8Array(i * 37 + (i % 2)).map((_, j) => (i * 13 + j) % 256));

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.slice(o, o + size);
}

async function collect(chunks: AsyncIterable<Uint8Array>, file = 'shard-0'): Promise<number[][]> {
  const out: number[][] = [];
  for await (const r of decodeTFRecordStream(chunks, file)) out.push(Array.from(r));
  return out;
}

describe('tfrecord stream', () => {
  it('frameRecord - frames exactly as encodeTFRecords does', () => {
    const joined = Buffer.concat(records.map(frameRecord));
    expect(Buffer.compare(joined, Buffer.from(encodeTFRecords(records)))).toBe(0);
  });

  it('decodeTFRecordStream - yields the same records whatever the chunk boundaries', async () => {
    const bytes = encodeTFRecords(records);
    const expected = [...decodeTFRecords(bytes, 'x')].map((r) => Array.from(r));
    for (const size of [1, 5, 12, 16, 100, 333, bytes.length]) {
      expect(await collect(chunked(bytes, size))).toEqual(expected);
    }
    expect(await collect(chunked(new Uint8Array(0), 4))).toEqual([]);
  });

  it('decodeTFRecordStream - a corrupt record is a DataError naming file and record', async () => {
    const bytes = encodeTFRecords(records);
    const third = 16 * 2 + records[0].length + records[1].length;
    const badData = bytes.slice();
    badData[third + 12] ^= 0xff; // first data byte of record 2
    const err = await collect(chunked(badData, 50), 'runs/r/shard-3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/runs\/r\/shard-3.*data CRC mismatch/);
    expect((err as DataError).message).toMatch(/record 2/);
    const badLength = bytes.slice();
    badLength[third] ^= 0x01;
    await expect(collect(chunked(badLength, 50))).rejects.toThrow(/length CRC mismatch/);
    await expect(collect(chunked(bytes.subarray(0, bytes.length - 3), 50))).rejects.toThrow(/truncated record/);
    await expect(collect(chunked(bytes.subarray(0, third + 5), 50))).rejects.toThrow(/truncated record header/);
  });

  it('decodeTFRecordStream - breaking out early closes the source', async () => {
    let closed = false;
    const source = (async function* () {
      try {
        yield* chunked(encodeTFRecords(records), 64);
      } finally {
        closed = true;
      }
    })();
    for await (const r of decodeTFRecordStream(source, 'x')) {
      expect(r.length).toBe(0);
      break;
    }
    expect(closed).toBe(true);
  });
});
