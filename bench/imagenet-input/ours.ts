// One measurement for bench/imagenet-input (run by run.ts in its own process, so that
// UV_THREADPOOL_SIZE, the libuv threads libvips decodes on, matches --threads): a training pass
// (decode, distorted crop, bicubic resize to 224, flip, normalise; JPEGs through the libjpeg-turbo
// addon when it is built, else sharp) over the JPEGs in --dir through
// an InputPool of --threads worker threads. Prints one JSON object: wall and CPU time of the pass.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  IMAGENET_STATS,
  InputPool,
  describeDecoder,
  imageDecoder,
  nativeJpegInfo,
  type EncodedPicture,
} from '@noisy/data';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    limit: { type: 'string', default: '0' },
  },
});
const threads = Number(values.threads);
const names = (await readdir(values.dir!)).filter((f) => f.endsWith('.jpg')).sort();
const limit = Number(values.limit) || names.length;
const pics: EncodedPicture[] = await Promise.all(
  names.slice(0, limit).map(async (f, i) => ({
    bytes: await readFile(join(values.dir!, f)),
    where: { shard: f, record: 0 },
    label: i % 1000,
  })),
);
const pool = new InputPool({
  threads,
  batchSize: Number(values.batch),
  resolution: 224,
  mode: 'train',
  stats: IMAGENET_STATS,
  seed: 0,
});
const pass = async (list: EncodedPicture[]) => {
  let n = 0;
  for await (const b of pool.batches(list)) n += b.count;
  return n;
};
await pass(pics.slice(0, 64)); // warm-up: worker start-up and module loading are not measured
const waited0 = pool.stats().waitedMs;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const images = await pass(pics);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await pool.close();
process.stdout.write(
  `${JSON.stringify({
    impl: 'noisy (InputPool)',
    threads,
    images,
    wallSeconds: wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    waitedSeconds: (pool.stats().waitedMs - waited0) / 1000,
    decoder: describeDecoder(await imageDecoder()),
    jpeg: nativeJpegInfo(),
  })}\n`,
);
