// An ImageNet-shaped dataset, generated: variable-size JPEGs (quality 90 by default) in TFRecord
// shards laid out as the original's ImageNet build script writes them (`train-00000-of-00004`,
// `validation-00000-of-00001`; features image/encoded, image/class/label 1-based, image/format,
// image/height, image/width, image/filename, image/class/synset). Each class has its own shape,
// palette and texture orientation, placed at random over a noisy background, so a model can learn
// the classes and a random crop still usually shows enough of the object.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import sharp from 'sharp';
import { createRng, shuffleInPlace, type Rng } from '@noisy/core';
import { bytesFeature, encodeExample, encodeTFRecords, int64Feature, type Image } from '@noisy/data';

export interface GenerateOptions {
  readonly dir: string;
  /** @default 100 */
  readonly classes?: number;
  readonly trainPerClass: number;
  readonly validationPerClass: number;
  /** @default 4 */
  readonly trainShards?: number;
  /** @default 1 */
  readonly validationShards?: number;
  /** Sides drawn uniformly in this range, independently. @default [150, 500] */
  readonly sides?: readonly [number, number];
  /** Every picture this size instead (width, height), e.g. [500, 375] for the benchmark. */
  readonly fixedSize?: readonly [number, number];
  /** @default 90 */
  readonly quality?: number;
  /** @default 0 */
  readonly seed?: number;
}

export interface GeneratedSplit {
  readonly files: string[];
  readonly records: number;
  readonly bytes: number;
}

const shardName = (split: string, i: number, n: number) =>
  `${split}-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}`;

/** A class's look: hue, shape kind, stripe angle and frequency, from its index alone. */
function classStyle(k: number) {
  const golden = 0.618033988749895;
  return {
    hue: (k * golden) % 1,
    shape: k % 4, // disc, square, diamond, ring
    angle: ((k * 37) % 180) * (Math.PI / 180),
    period: 6 + ((k * 7) % 19),
  };
}

function hsv(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6),
    f = h * 6 - i;
  const p = v * (1 - s),
    q = v * (1 - f * s),
    t = v * (1 - (1 - f) * s);
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i % 6];
  return [rgb[0] * 255, rgb[1] * 255, rgb[2] * 255];
}

/** Render one picture of class `k` (RGB, HWC). */
export function renderPicture(k: number, width: number, height: number, rng: Rng): Image {
  const st = classStyle(k);
  const fg = hsv(st.hue, 0.8, 0.9);
  const fg2 = hsv((st.hue + 0.5) % 1, 0.6, 0.5);
  const bg = hsv(rng.next(), 0.2 + 0.3 * rng.next(), 0.3 + 0.5 * rng.next());
  const r = (0.25 + 0.2 * rng.next()) * Math.min(width, height);
  const cx = r + rng.next() * Math.max(1, width - 2 * r);
  const cy = r + rng.next() * Math.max(1, height - 2 * r);
  const ca = Math.cos(st.angle),
    sa = Math.sin(st.angle);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / r,
        dy = (y - cy) / r;
      const d =
        st.shape === 0
          ? Math.hypot(dx, dy)
          : st.shape === 1
            ? Math.max(Math.abs(dx), Math.abs(dy))
            : st.shape === 2
              ? Math.abs(dx) + Math.abs(dy)
              : Math.abs(Math.hypot(dx, dy) - 0.7) * 3;
      const i = (y * width + x) * 3;
      const noise = (rng.next() - 0.5) * 30;
      if (d <= 1) {
        const stripe = Math.sin(((x * ca + y * sa) * 2 * Math.PI) / st.period) > 0;
        const c = stripe ? fg : fg2;
        for (let j = 0; j < 3; j++) data[i + j] = Math.max(0, Math.min(255, c[j] + noise));
      } else {
        for (let j = 0; j < 3; j++) data[i + j] = Math.max(0, Math.min(255, bg[j] + noise + 20 * Math.sin(y / 23 + j)));
      }
    }
  }
  return { height, width, channels: 3, data };
}

const utf8 = new TextEncoder();

async function writeSplit(
  split: 'train' | 'validation',
  perClass: number,
  shards: number,
  o: GenerateOptions,
  rng: Rng,
): Promise<GeneratedSplit> {
  const classes = o.classes ?? 100;
  const [lo, hi] = o.sides ?? [150, 500];
  // Examples are shuffled across shards, as the original's build script does.
  const order = Int32Array.from({ length: classes * perClass }, (_, i) => i % classes);
  shuffleInPlace(order, rng);
  const files: string[] = [];
  let bytes = 0;
  for (let s = 0; s < shards; s++) {
    const file = join(o.dir, shardName(split, s, shards));
    files.push(file);
    const out = createWriteStream(file);
    const from = Math.floor((s * order.length) / shards),
      to = Math.floor(((s + 1) * order.length) / shards);
    for (let i = from; i < to; i++) {
      const k = order[i];
      const [w, h] = o.fixedSize ?? [lo + rng.int(hi - lo + 1), lo + rng.int(hi - lo + 1)];
      const img = renderPicture(k, w, h, rng.fork(`${split}:${i}`));
      const jpeg = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
        raw: { width: w, height: h, channels: 3 },
      })
        .jpeg({ quality: o.quality ?? 90 })
        .toBuffer();
      const record = encodeTFRecords([
        encodeExample({
          'image/encoded': bytesFeature(jpeg),
          'image/format': bytesFeature(utf8.encode('JPEG')),
          'image/class/label': int64Feature(k + 1),
          'image/class/synset': bytesFeature(utf8.encode(`n${String(k).padStart(8, '0')}`)),
          'image/filename': bytesFeature(utf8.encode(`${split}_${String(i).padStart(8, '0')}.JPEG`)),
          'image/height': int64Feature(h),
          'image/width': int64Feature(w),
        }),
      ]);
      bytes += record.length;
      if (!out.write(record)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
  }
  return { files, records: order.length, bytes };
}

/** Write the train and validation shards under `o.dir`. */
export async function generateImageNetLike(
  o: GenerateOptions,
): Promise<{ train: GeneratedSplit; validation: GeneratedSplit }> {
  await mkdir(o.dir, { recursive: true });
  const rng = createRng(o.seed ?? 0);
  const train = await writeSplit('train', o.trainPerClass, o.trainShards ?? 4, o, rng.fork('train'));
  const validation = await writeSplit('validation', o.validationPerClass, o.validationShards ?? 1, o, rng.fork('val'));
  return { train, validation };
}
