import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readJpegHeader } from './jpeg-header.js';

const base = () => sharp({ create: { width: 37, height: 21, channels: 3, background: '#468' } });

describe('jpeg-header', () => {
  it('readJpegHeader - size and EXIF orientation agree with libvips, baseline and progressive', async () => {
    const cases = [
      await base().jpeg().toBuffer(),
      await base().jpeg({ progressive: true }).toBuffer(),
      await base().jpeg().withMetadata({ orientation: 6 }).toBuffer(),
      await base().jpeg({ progressive: true }).withMetadata({ orientation: 8 }).toBuffer(),
      await base().jpeg().withMetadata({ orientation: 3 }).toBuffer(),
    ];
    for (const b of cases) {
      const m = await sharp(b).metadata();
      expect(readJpegHeader(b)).toEqual({ width: m.width, height: m.height, orientation: m.orientation ?? 1 });
    }
  });

  it('readJpegHeader - null for non-JPEG or truncated bytes (the caller then asks libvips)', async () => {
    const jpeg = await base().jpeg().toBuffer();
    expect(readJpegHeader(await base().png().toBuffer())).toBeNull();
    expect(readJpegHeader(jpeg.subarray(0, 30))).toBeNull();
    expect(readJpegHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBeNull();
  });
});
