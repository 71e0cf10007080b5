// Where our CPU time per picture goes, for bench/imagenet-input (run by run.ts in its own process
// with UV_THREADPOOL_SIZE=1): each stage added on top of the one before, in this one thread, no
// pool. Rounds of --per pictures rotate over the stages and each stage keeps its best round, so
// load from other processes falls on all alike. Prints one JSON object: CPU ms per picture, and
// voluntary context switches per picture (libvips hands each strip of a picture between threads).
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
  imageDecoder,
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
const stages: Record<string, (i: number) => Promise<unknown>> = {
  // sharp's fixed cost per call: building the libvips pipeline and the thread hand-offs.
  'sharp call on an 8x8 JPEG': () => sharp(tiny).raw().toBuffer(),
  'JPEG decode (whole picture)': (i) => sharp(pics[i]).raw().toBuffer(),
  '+ header, crop box, bicubic resize to 224': async (i) => {
    const header = await readPictureHeader(pics[i], { where });
    return cropResizePicture(pics[i], { where, box: plan[i].box, size, header });
  },
  '+ flip': async (i) => {
    const header = await readPictureHeader(pics[i], { where });
    return cropResizePicture(pics[i], { where, box: plan[i].box, size, header, flip: plan[i].flip });
  },
  '+ normalise to float32': async (i) => {
    const header = await readPictureHeader(pics[i], { where });
    const img = await cropResizePicture(pics[i], { where, box: plan[i].box, size, header, flip: plan[i].flip });
    normaliseInto(img, IMAGENET_STATS, out, 0);
  },
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
