// The pure-JS fallback, in its own file: choosing it is per process (per test file in vitest).
import sharp from 'sharp';
import jpeg from 'jpeg-js';
import { describe, expect, it, vi } from 'vitest';
import { DataError } from '@noisy/core';
import { cropResizePicture, decodePicture, describeDecoder, imageDecoder, useJsDecoder } from './decode-image.js';
import { MAX_IMAGE_SIDE, encodeJpeg, type Image } from './image.js';

const where = { shard: 'validation-00000-of-00001', record: 7 };

describe('decode-image (pure-JS fallback)', () => {
  it('imageDecoder - says the fallback is in use and why', async () => {
    useJsDecoder('chosen by the test');
    const d = await imageDecoder();
    expect(d).toEqual({ kind: 'js', reason: 'chosen by the test' });
    expect(describeDecoder(d)).toMatch(/pure-JS .*fallback.*chosen by the test/);
  });

  it('decodePicture - the fallback decodes JPEG and crops/resizes/flips', async () => {
    useJsDecoder('test');
    const src: Image = { height: 20, width: 40, channels: 3, data: new Uint8Array(20 * 40 * 3) };
    for (let i = 0; i < 20 * 40; i++) src.data[3 * i] = i % 40 < 20 ? 250 : 5; // left half red
    const bytes = encodeJpeg(src, 95);
    const img = await decodePicture(bytes, { where });
    expect([img.height, img.width]).toEqual([20, 40]);
    const c = await cropResizePicture(bytes, {
      where,
      box: { top: 0, left: 0, height: 20, width: 40 },
      size: { height: 10, width: 10 },
      flip: true,
    });
    expect(c.data[0]).toBeLessThan(30); // flipped: the left is now dark
    expect(c.data[(10 * 5 + 9) * 3]).toBeGreaterThan(220);
  });

  it('decodePicture - the fallback refuses WebP with a DataError naming shard and record', async () => {
    useJsDecoder('test');
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#123456' } })
      .webp()
      .toBuffer();
    const err = await decodePicture(webp, { where }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/validation-00000-of-00001 \(record 7\): .*neither PNG nor JPEG/);
  });

  it('decodePicture - the fallback refuses a 30000x30000 header before decoding, worded as with sharp', async () => {
    useJsDecoder('test');
    const bytes = encodeJpeg({ height: 8, width: 8, channels: 3, data: new Uint8Array(8 * 8 * 3) }, 90);
    for (let i = 0; i < bytes.length - 8; i++)
      if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) {
        new DataView(bytes.buffer, bytes.byteOffset).setUint16(i + 5, 30_000); // SOF0 height
        new DataView(bytes.buffer, bytes.byteOffset).setUint16(i + 7, 30_000); // and width
        break;
      }
    const before = process.memoryUsage().rss;
    const err = await decodePicture(bytes, { where }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect([(err as DataError).file, (err as DataError).record]).toEqual(['validation-00000-of-00001', 7]);
    expect((err as Error).message).toBe(
      `validation-00000-of-00001 (record 7): image is 30000x30000: larger than the limit (${MAX_IMAGE_SIDE} px a side, 100 megapixels)`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(200e6); // 900M pixels as RGBA would be 3.6 GB
  });

  it('decodePicture - the fallback applies a lowered maxPixels from the header too, before jpeg-js runs', async () => {
    useJsDecoder('test');
    const bytes = encodeJpeg({ height: 200, width: 200, channels: 3, data: new Uint8Array(200 * 200 * 3) }, 90);
    const decode = vi.spyOn(jpeg, 'decode');
    const err = await decodePicture(bytes, { where, maxPixels: 10_000 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `validation-00000-of-00001 (record 7): image is 200x200: larger than the limit (${MAX_IMAGE_SIDE} px a side, 0.01 megapixels)`,
    );
    expect(decode).not.toHaveBeenCalled();
    decode.mockRestore();
  });
});
