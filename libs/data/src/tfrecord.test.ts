import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { DataError } from '@noisy/core';
import { crc32c } from './crc32c.js';
import { bytesFeature, decodeExample, encodeExample, floatFeature, int64Feature } from './example.js';
import { parseIdx } from './idx.js';
import { decodeSample, encodeSample } from './sample.js';
import { decodeTFRecords, encodeTFRecords, readTFRecordFile } from './tfrecord.js';

const enc = new TextEncoder();

describe('tfrecord', () => {
  it('crc32c - matches the standard check value', () => {
    expect(crc32c(enc.encode('123456789'))).toBe(0xe3069283);
  });

  it('tf.train.Example - round trips bytes, floats and int64 (negative and large)', () => {
    const ex = {
      'image/encoded': bytesFeature(Uint8Array.from([1, 2, 255])),
      probabilities: floatFeature([0.25, 0.75]),
      label: int64Feature(-1, 0, 2 ** 40),
    };
    const back = decodeExample(encodeExample(ex));
    expect(Array.from((back['image/encoded'] as { value: Uint8Array[] }).value[0])).toEqual([1, 2, 255]);
    expect(Array.from((back.probabilities as { value: Float32Array }).value)).toEqual([0.25, 0.75]);
    expect((back.label as { value: number[] }).value).toEqual([-1, 0, 2 ** 40]);
  });

  it('tf.train.Example - encodes the same bytes as TensorFlow (fields in order, packed floats and int64)', () => {
    const ex = {
      label: int64Feature(-1, 3, 2 ** 40),
      p: floatFeature([0.5, -2]),
      b: bytesFeature(Uint8Array.from([7]), new Uint8Array(0)),
      e: floatFeature([]),
      n: int64Feature(),
    };
    // Derived by hand from the protobuf encoding (map entries in key order; packed repeated fields
    // as one length-delimited run; an empty repeated field writes no bytes, so an empty float or
    // int64 list is an empty FloatList/Int64List message: `12 00` / `1a 00`):
    //   b:     0a0c 0a0162 1207 0a05 0a0107 0a00                       bytes [07] and [] (not packed)
    //   e:     0a07 0a0165 1202 1200                                   float_list {}
    //   label: 0a1e 0a056c6162656c 1215 1a13 0a11 ff..ff01 03 8080808080 20   int64 -1, 3, 2^40
    //   n:     0a07 0a016e 1202 1a00                                   int64_list {}
    //   p:     0a11 0a0170 120c 120a 0a08 0000003f 000000c0            float 0.5, -2
    expect(Buffer.from(encodeExample(ex)).toString('hex')).toBe(
      '0a53' +
        '0a0c0a016212070a050a01070a00' +
        '0a070a016512021200' +
        '0a1e0a056c6162656c12151a130a11ffffffffffffffffff0103808080808020' +
        '0a070a016e12021a00' +
        '0a110a0170120c120a0a080000003f000000c0',
    );
    const back = decodeExample(encodeExample(ex), 'x');
    expect(back.e).toEqual({ kind: 'float', value: new Float32Array(0) });
    expect(back.n?.kind).toBe('int64');
  });

  it('tf.train.Example - a field that runs past the end or a cut float list is a DataError naming the record', () => {
    const good = encodeExample({ label: int64Feature(1) });
    // An unknown fixed64 (wire type 1) or fixed32 (wire type 5) field with too few bytes after it.
    for (const tail of [
      [0x11, 1, 2, 3],
      [0x15, 1, 2],
    ]) {
      expect(() => decodeExample(Uint8Array.from([...good, ...tail]), 'f (record 2)')).toThrow(
        /f \(record 2\): malformed tf\.train\.Example \(premature EOF\)/,
      );
    }
    // A packed float list of 6 bytes: one float and half of another.
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string('p').tag(2, WireType.LengthDelimited).fork();
    w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(new Uint8Array(6));
    const cut = w.join().join().join().join().finish();
    const err = (() => {
      try {
        decodeExample(cut, 'f (record 0)');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/f \(record 0\): packed float list of 6 bytes is not a whole number/);
  });

  it('tfrecord - round trips records in memory and streamed from a file', async () => {
    const records = [enc.encode('a'), new Uint8Array(0), enc.encode('x'.repeat(5000))];
    const bytes = encodeTFRecords(records);
    expect([...decodeTFRecords(bytes, 'mem')].map((r) => r.length)).toEqual([1, 0, 5000]);
    const dir = await mkdtemp(join(tmpdir(), 'tfr-'));
    await writeFile(join(dir, 'f.tfrecord'), bytes);
    const streamed: number[] = [];
    for await (const r of readTFRecordFile(join(dir, 'f.tfrecord'), 7)) streamed.push(r.length);
    expect(streamed).toEqual([1, 0, 5000]);
  });

  it('tfrecord - a flipped byte is caught by the CRC with the file and record named', async () => {
    const bytes = encodeTFRecords([enc.encode('first'), enc.encode('second'), enc.encode('third')]);
    bytes[16 + 5 + 12 + 2] ^= 0x40; // a byte inside the second record's data
    expect(() => [...decodeTFRecords(bytes, 'shard-00001-of-00004.tfrecord')]).toThrow(DataError);
    expect(() => [...decodeTFRecords(bytes, 'shard-00001-of-00004.tfrecord')]).toThrow(
      /shard-00001-of-00004.tfrecord \(record 1\): data CRC mismatch/,
    );
    const dir = await mkdtemp(join(tmpdir(), 'tfr-'));
    await writeFile(join(dir, 'bad.tfrecord'), bytes);
    await expect(async () => {
      for await (const _ of readTFRecordFile(join(dir, 'bad.tfrecord'))) {
        /* drain */
      }
    }).rejects.toThrow(/bad.tfrecord \(record 1\)/);
  });

  it("samples - read the original's schema: 1-based image/class/label and pseudo-label fields", () => {
    const labeled = decodeSample(
      encodeSample({ id: 'a', label: 3, image: { height: 1, width: 2, channels: 1, data: Uint8Array.from([5, 6]) } }),
      'f',
      0,
    );
    expect(labeled.label).toBe(3);
    const raw = decodeExample(
      encodeSample({ id: 'a', label: 3, image: { height: 1, width: 2, channels: 1, data: Uint8Array.from([5, 6]) } }),
    );
    expect((raw['image/class/label'] as { value: number[] }).value).toEqual([4]);
    const pseudo = decodeSample(
      encodeSample({
        id: 'b',
        probabilities: Float32Array.from([0.1, 0.7, 0.2]),
        image: { height: 1, width: 1, channels: 1, data: Uint8Array.from([9]) },
      }),
      'f',
      0,
    );
    expect(pseudo.label).toBe(1);
    const ex = decodeExample(
      encodeSample({
        id: 'b',
        probabilities: Float32Array.from([0.1, 0.7, 0.2]),
        image: { height: 1, width: 1, channels: 1, data: Uint8Array.from([9]) },
      }),
    );
    expect((ex.prob as { value: Float32Array }).value[0]).toBeCloseTo(0.7, 6);
  });

  it('samples - a wrong image shape is a named error', () => {
    const ex = encodeExample({
      id: bytesFeature(enc.encode('z')),
      'image/raw': bytesFeature(Uint8Array.from([1, 2, 3])),
      'image/height': int64Feature(2),
      'image/width': int64Feature(2),
      'image/channels': int64Feature(1),
    });
    expect(() => decodeSample(ex, 'shard.tfrecord', 4)).toThrow(
      /shard.tfrecord \(record 4\): image\/raw does not match/,
    );
  });

  it('idx - parses the header and rejects a truncated body with the file named', () => {
    const good = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
    expect(parseIdx(good, 'x.idx')).toMatchObject({ shape: [2, 2] });
    expect(() => parseIdx(good.subarray(0, 14), 'x.idx')).toThrow(
      /x.idx: IDX body has 2 bytes; header shape \[2,2\] needs 4/,
    );
  });
});
