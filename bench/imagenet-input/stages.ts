// Where our CPU time per picture goes, for bench/imagenet-input (run by run.ts in its own process
// with UV_THREADPOOL_SIZE=1): each stage added on top of the one before, in this one thread, no
// pool. Rounds of --per pictures rotate over the stages and each stage keeps its best round, so
// load from other processes falls on all alike. Prints one JSON object: CPU ms per picture, and
// voluntary context switches per picture (libvips hands each strip of a picture between threads).
// The sharp stages run with the libjpeg-turbo addon switched off; the "libjpeg-turbo" stages are
// the addon's path (header, crop box, then one call from bytes to normalised floats).
//   node --import tsx bench/imagenet-input/stages.ts --dir DIR [--rounds 6] [--per 128]
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createRng } from '@noisy/core';
import {
  IMAGENET_STATS,
  INCEPTION_CROP,
  cropResizePicture,
  disableNativeJpeg,
  imageDecoder,
  nativeCropInto,
  normaliseInto,
  readPictureHeader,
  trainCropBox,
} from '@noisy/data';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    rounds: { type: 'string', default: '6' },
    per: { type: 'string', default: '128' },
  },
});
await imageDecoder(); // sets sharp's concurrency (1) and cache (off) as the pool does
const names = (await readdir(values.dir!)).filter((f) => f.endsWith('.jpg')).sort();
const pics = await Promise.all(names.map((f) => readFile(join(values.dir!, f))));
const where = { shard: 'bench', record: 0 };
const size = { height: 224, width: 224 };
const plan = await Promise.all(
  pics.map(async (bytes, i) => {
    const rng = createRng(0).fork(i);
    const header = await readPictureHeader(bytes, { where });
    const { box } = trainCropBox(header.width, header.height, 224, rng, INCEPTION_CROP);
    return { header, box, flip: rng.next() < 0.5 };
  }),
);
const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'grey' } })
  .jpeg()
  .toBuffer();
const out = new Float32Array(224 * 224 * 3);
const lut = new Float32Array(768).map((_, k) => (k % 256) / 255);
/** A stage on the sharp path: the addon is off while it runs. */
const viaSharp =
  (f: (i: number) => Promise<unknown>) =>
  async (i: number): Promise<unknown> => {
    disableNativeJpeg('bench stage on sharp');
    try {
      return await f(i);
    } finally {
      disableNativeJpeg(null);
    }
  };
const native = (flip: boolean, into: Float32Array | Uint8Array, table: Float32Array | null) => async (i: number) => {
  const header = await readPictureHeader(pics[i], { where });
  const { box } = plan[i];
  if (
    !nativeCropInto(
      pics[i],
      { where, box, size, flip: flip && plan[i].flip, channels: 3, maxPixels: 1e8 },
      into,
      0,
      table,
    )
  )
    throw new Error(`the addon deferred ${names[i]} (${header.width}x${header.height})`);
};
const stages: Record<string, (i: number) => Promise<unknown>> = {
  // sharp's fixed cost per call: building the libvips pipeline and the thread hand-offs.
  'sharp call on an 8x8 JPEG': () => sharp(tiny).raw().toBuffer(),
  'JPEG decode (whole picture)': (i) => sharp(pics[i]).raw().toBuffer(),
  '+ header, crop box, bicubic resize to 224': viaSharp(async (i) => {
    const header = await readPictureHeader(pics[i], { where });
    return cropResizePicture(pics[i], { where, box: plan[i].box, size, header });
  }),
  '+ flip': viaSharp(async (i) => {
    const header = await readPictureHeader(pics[i], { where });
    return cropResizePicture(pics[i], { where, box: plan[i].box, size, header, flip: plan[i].flip });
  }),
  '+ normalise to float32': viaSharp(async (i) => {
    const header = await readPictureHeader(pics[i], { where });
    const img = await cropResizePicture(pics[i], { where, box: plan[i].box, size, header, flip: plan[i].flip });
    normaliseInto(img, IMAGENET_STATS, out, 0);
  }),
  'libjpeg-turbo: header, crop decode + bicubic resize to 224': native(false, new Uint8Array(224 * 224 * 3), null),
  'libjpeg-turbo: + flip': native(true, new Uint8Array(224 * 224 * 3), null),
  'libjpeg-turbo: + normalise to float32 (same call)': native(true, out, lut),
  // The same crop and resize called on sharp directly, with bicubic (ours, as the original) and
  // bilinear (torchvision's default) kernels: what the kernel costs.
  'crop + bicubic resize (sharp directly)': (i) =>
    sharp(pics[i]).extract(plan[i].box).resize(224, 224, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer(),
  'crop + bilinear resize (sharp directly)': (i) =>
    sharp(pics[i]).extract(plan[i].box).resize(224, 224, { fit: 'fill', kernel: 'linear' }).raw().toBuffer(),
};
const per = Math.min(Number(values.per), pics.length);
const best: Record<string, number> = {};
// Thread hand-offs inside libvips show as voluntary context switches: counted per picture too.
const switches: Record<string, number> = {};
for (let round = 0; round < Number(values.rounds); round++)
  for (const [name, f] of Object.entries(stages)) {
    const from = (round * per) % (pics.length - per + 1);
    for (let i = from; i < from + 8; i++) await f(i); // warm
    const c0 = process.cpuUsage();
    const s0 = process.resourceUsage().voluntaryContextSwitches;
    for (let i = from; i < from + per; i++) await f(i);
    const c = process.cpuUsage(c0);
    switches[name] = (process.resourceUsage().voluntaryContextSwitches - s0) / per;
    best[name] = Math.min(best[name] ?? Infinity, (c.user + c.system) / 1000 / per);
  }
process.stdout.write(
  `${JSON.stringify({ impl: 'noisy', cpuMsPerPicture: best, voluntaryContextSwitchesPerPicture: switches })}\n`,
);
