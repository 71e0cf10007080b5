import sharp from 'sharp';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DataError } from '@noisy/core';
import { cropResizePicture, decodePicture, imageDecoder, readPictureHeader } from './decode-image.js';
import { encodeJpeg, encodePng, type Image } from './image.js';

const where = { shard: 'train-00003-of-00016', record: 41 };

/** A picture with structure at several scales: gradients, a disc and stripes. */
function scene(height: number, width: number, stripe = 16): Image {
  const data = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
      data[i] = Math.round((255 * x) / width);
      data[i + 1] = inDisc ? 230 : Math.round((255 * y) / height);
      data[i + 2] = Math.floor(x / stripe) % 2 ? 200 : 40;
    }
  return { height, width, channels: 3, data };
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

const solid = (width: number, height: number, rgb: [number, number, number]) =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

/** A JPEG whose SOF header claims `side` x `side` pixels (the body is an 8x8 picture's). */
async function hugeHeaderJpeg(side: number): Promise<Uint8Array> {
  const buf = Buffer.from(await solid(8, 8, [255, 255, 255]).jpeg().toBuffer());
  for (let i = 0; i < buf.length - 8; i++)
    if (buf[i] === 0xff && (buf[i + 1] === 0xc0 || buf[i + 1] === 0xc2)) {
      buf.writeUInt16BE(side, i + 5);
      buf.writeUInt16BE(side, i + 7);
      return buf;
    }
  throw new Error('no SOF marker');
}

describe('decode-image', () => {
  it('imageDecoder - reports sharp with its libvips version here', async () => {
    const d = await imageDecoder();
    expect(d.kind).toBe('sharp');
    if (d.kind === 'sharp') expect(d.libvips).toMatch(/^\d+\.\d+/);
  });

  it('decodePicture - JPEG matches jpeg-js within a mean abs diff of 1.5 levels per channel', async () => {
    const src = scene(200, 300);
    const bytes = encodeJpeg(src, 90);
    const ref = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    const img = await decodePicture(bytes, { where });
    expect([img.height, img.width, img.channels]).toEqual([200, 300, 3]);
    const d = meanAbsDiff(img.data, ref.data);
    expect(d).toBeLessThan(1.5);
    // And both are close to the source, so the tolerance compares two good decodes.
    expect(meanAbsDiff(img.data, src.data)).toBeLessThan(4);
  });

  it('decodePicture - honours EXIF orientation 6 (rotate 90 degrees clockwise)', async () => {
    // 40 wide, 20 high, the left 10 columns blue, the rest red; displayed it is 20 wide, 40 high, blue on top.
    const blue = await solid(10, 20, [0, 0, 255]).png().toBuffer();
    const bytes = await solid(40, 20, [255, 0, 0])
      .composite([{ input: blue, left: 0, top: 0 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await readPictureHeader(bytes, { where })).toEqual({ width: 20, height: 40, format: 'jpeg' });
    const img = await decodePicture(bytes, { where });
    expect([img.width, img.height]).toEqual([20, 40]);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    expect(px(10, 3)[2]).toBeGreaterThan(200); // top: blue
    expect(px(10, 3)[0]).toBeLessThan(50);
    expect(px(10, 30)[0]).toBeGreaterThan(200); // bottom: red
  });

  it('decodePicture - greyscale JPEG to RGB (equal channels) or to one channel', async () => {
    const grey = new Uint8Array(32 * 16).map((_, i) => (i % 32) * 8);
    const bytes = await sharp(Buffer.from(grey), { raw: { width: 32, height: 16, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 95 })
      .toBuffer();
    expect((await sharp(bytes).metadata()).channels).toBe(1);
    const rgb = await decodePicture(bytes, { where });
    expect(rgb.channels).toBe(3);
    for (let i = 0; i < 32 * 16; i++) {
      expect(rgb.data[3 * i]).toBe(rgb.data[3 * i + 1]);
      expect(rgb.data[3 * i]).toBe(rgb.data[3 * i + 2]);
    }
    const one = await decodePicture(bytes, { where, channels: 1 });
    expect(one.channels).toBe(1);
    expect(meanAbsDiff(one.data, grey)).toBeLessThan(3);
  });

  it('decodePicture - CMYK JPEG to RGB', async () => {
    const bytes = await solid(16, 16, [20, 200, 40]).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(bytes).metadata()).space).toBe('cmyk');
    const img = await decodePicture(bytes, { where });
    expect(img.channels).toBe(3);
    const [r, g, b] = img.data;
    expect(g).toBeGreaterThan(150); // green stays green through the colour conversion
    expect(r).toBeLessThan(g - 50);
    expect(b).toBeLessThan(g - 50);
  });

  it('decodePicture - PNG (with alpha dropped) and lossless WebP decode exactly', async () => {
    const src = scene(24, 40);
    expect((await decodePicture(encodePng(src), { where })).data).toEqual(src.data);
    const rgba = new Uint8Array(24 * 40 * 4).map((_, i) =>
      i % 4 === 3 ? 128 : src.data[Math.floor(i / 4) * 3 + (i % 4)],
    );
    const png = await sharp(Buffer.from(rgba), { raw: { width: 40, height: 24, channels: 4 } })
      .png()
      .toBuffer();
    const noAlpha = await decodePicture(png, { where });
    expect(noAlpha.channels).toBe(3);
    expect(noAlpha.data).toEqual(src.data);
    const webp = await sharp(Buffer.from(src.data), { raw: { width: 40, height: 24, channels: 3 } })
      .webp({ lossless: true })
      .toBuffer();
    expect((await decodePicture(webp, { where })).data).toEqual(src.data);
  });

  it('decodePicture - at least a target size decodes a large JPEG at reduced scale', async () => {
    const bytes = encodeJpeg(scene(1200, 1600), 90);
    const img = await decodePicture(bytes, { where, atLeast: { height: 240, width: 240 } });
    expect(Math.min(img.height, img.width)).toBe(240);
    expect(img.width).toBe(320);
    const small = encodeJpeg(scene(100, 120), 90); // smaller than the target: not enlarged
    expect((await decodePicture(small, { where, atLeast: { height: 240, width: 240 } })).width).toBe(120);
  });

  it('cropResizePicture - crops the box, resizes it and flips it', async () => {
    // Quadrants: red | green over blue | white.
    const q = (rgb: [number, number, number]) => solid(100, 80, rgb).png().toBuffer();
    const bytes = await solid(200, 160, [0, 0, 0])
      .composite([
        { input: await q([255, 0, 0]), left: 0, top: 0 },
        { input: await q([0, 255, 0]), left: 100, top: 0 },
        { input: await q([0, 0, 255]), left: 0, top: 80 },
        { input: await q([255, 255, 255]), left: 100, top: 80 },
      ])
      .png()
      .toBuffer();
    const tl = await cropResizePicture(bytes, {
      where,
      box: { top: 10, left: 10, height: 60, width: 80 },
      size: { height: 32, width: 32 },
    });
    expect([tl.height, tl.width, tl.channels]).toEqual([32, 32, 3]);
    expect(Array.from(tl.data.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(tl.data.subarray(tl.data.length - 3))).toEqual([255, 0, 0]);
    // A box across the vertical border, flipped: green ends up on the left.
    const across = await cropResizePicture(bytes, {
      where,
      box: { top: 0, left: 50, height: 80, width: 100 },
      size: { height: 16, width: 16 },
      flip: true,
    });
    const at = (x: number) => Array.from(across.data.subarray((8 * 16 + x) * 3, (8 * 16 + x) * 3 + 3));
    expect(at(1)).toEqual([0, 255, 0]);
    expect(at(14)).toEqual([255, 0, 0]);
  });

  it('cropResizePicture - a box much larger than the output (DCT-scaled decode) matches a full decode and resize', async () => {
    const src = scene(1500, 2000, 160); // details well above the output's Nyquist limit
    const bytes = encodeJpeg(src, 90);
    const box = { top: 100, left: 200, height: 1200, width: 1200 };
    const fast = await cropResizePicture(bytes, { where, box, size: { height: 100, width: 100 } });
    const ref = await sharp(Buffer.from(src.data), { raw: { width: 2000, height: 1500, channels: 3 } })
      .extract(box)
      .resize(100, 100, { kernel: 'cubic' })
      .raw()
      .toBuffer();
    expect(meanAbsDiff(fast.data, ref)).toBeLessThan(6);
  });

  it('cropResizePicture - flip mirrors exactly the unflipped crop, on both resize paths and after EXIF orientation', async () => {
    const mirror = (img: Image) => {
      const out = new Uint8Array(img.data.length);
      for (let y = 0; y < img.height; y++)
        for (let x = 0; x < img.width; x++)
          for (let k = 0; k < 3; k++)
            out[(y * img.width + x) * 3 + k] = img.data[(y * img.width + img.width - 1 - x) * 3 + k];
      return out;
    };
    const big = encodeJpeg(scene(900, 1200, 24), 90);
    const rotated = await sharp(encodeJpeg(scene(120, 200), 90))
      .withMetadata({ orientation: 6 })
      .toBuffer();
    for (const [bytes, box, side] of [
      [big, { top: 30, left: 500, height: 200, width: 300 }, 96], // extract, then resize
      [big, { top: 50, left: 100, height: 800, width: 640 }, 64], // 10x: shrink on load, then extract
      [rotated, { top: 20, left: 10, height: 150, width: 90 }, 40], // displayed 120 wide, 200 high
    ] as const) {
      const size = { height: side, width: side };
      const plain = await cropResizePicture(bytes, { where, box, size });
      const flipped = await cropResizePicture(bytes, { where, box, size, flip: true });
      expect(flipped.data).toEqual(mirror(plain));
    }
  });

  it('decode errors - a corrupt, truncated or zero-byte picture is a DataError naming shard and record', async () => {
    const good = encodeJpeg(scene(64, 64), 90);
    const bad = [good.subarray(0, 200), new TextEncoder().encode('not a picture at all'), new Uint8Array(0)];
    for (const bytes of bad) {
      const err = await decodePicture(bytes, { where }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).record).toBe(41);
      expect((err as Error).message).toContain('train-00003-of-00016 (record 41)');
    }
    const zero = await decodePicture(new Uint8Array(0), { where }).catch((e: Error) => e.message);
    expect(zero).toMatch(/zero bytes/);
  });

  it('decode errors - a 30000x30000 header is refused before decoding', async () => {
    const bytes = await hugeHeaderJpeg(30_000);
    const before = process.memoryUsage().rss;
    for (const attempt of [
      () => readPictureHeader(bytes, { where }),
      () => decodePicture(bytes, { where }),
      () =>
        cropResizePicture(bytes, {
          where,
          box: { top: 0, left: 0, height: 10, width: 10 },
          size: { height: 8, width: 8 },
        }),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toBe(
        'train-00003-of-00016 (record 41): image is 30000x30000: larger than the limit (16384 px a side, 100 megapixels)',
      );
      expect((err as DataError).file).toBe('train-00003-of-00016');
      expect((err as DataError).record).toBe(41);
    }
    // 900M RGB pixels would be 2.7 GB; nothing near that was allocated.
    expect(process.memoryUsage().rss - before).toBeLessThan(200e6);
  });
});
