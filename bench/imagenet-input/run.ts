// bench/imagenet-input: training-input images/s per core, ours (libjpeg-turbo crop decode + distorted crop +
// bicubic resize + flip + normalise in an InputPool) against torchvision (RandomResizedCrop(224) +
// flip + ToTensor + Normalize over PIL), at 1 and 2 threads, on generated ~500x375 quality-90
// JPEGs. Runs are interleaved (ours, theirs, ours, theirs, ...) over --rounds rounds so that load
// from other processes falls on both alike; per core = images / CPU seconds of the whole process
// (all its threads and worker processes), which is fair on a shared machine where wall time is not.
// The load average is recorded with every measurement. Then both stage breakdowns (stages.ts and
// torchvision_ref.py --stages): CPU ms per picture of decode, crop + resize, flip, normalise.
//   npm run bench:imagenet-input -- [--images 1500] [--rounds 3] [--shared "note"]
// Needs the Debian packages python3-torchvision and python3-pil (for the reference).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { createRng } from '@noisy/core';
import { renderPicture } from '../../tools/imagenet-gen/src/generate.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '1500' },
    rounds: { type: 'string', default: '3' },
    python: { type: 'string', default: '/usr/bin/python3' },
    shared: { type: 'string' },
  },
});
const N = Number(values.images);
const dir = await mkdtemp(join(tmpdir(), 'imagenet-input-'));
const rng = createRng(0);
for (let i = 0; i < N; i++) {
  // ~500x375, the ImageNet average, a few sizes around it and both orientations.
  const w = 500 + rng.int(41) - 20,
    h = 375 + rng.int(31) - 15;
  const [W, H] = i % 5 === 4 ? [h, w] : [w, h];
  const img = renderPicture(i % 100, W, H, rng.fork(i));
  const jpeg = await sharp(Buffer.from(img.data), { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  await writeFile(join(dir, `${String(i).padStart(6, '0')}.jpg`), jpeg);
}

interface Measure {
  impl: string;
  threads: number;
  images: number;
  wallSeconds: number;
  cpuSeconds: number;
}
const uptime = async () => (await run('uptime')).stdout.trim();
const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const uptimeAtStart = await uptime();
const ours = async (threads: number): Promise<Measure> => {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/imagenet-input/ours.ts', '--dir', dir, '--threads', String(threads)],
    { env: { ...process.env, UV_THREADPOOL_SIZE: String(threads) }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Measure;
};
const theirs = async (threads: number): Promise<Measure> => {
  const { stdout } = await run(
    values.python!,
    ['bench/imagenet-input/torchvision_ref.py', '--dir', dir, '--threads', String(threads)],
    { env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Measure;
};

const measures: Array<Measure & { round: number; loadBefore: number[] }> = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const threads of [1, 2]) {
    for (const f of [ours, theirs]) {
      const loadBefore = load();
      const m = await f(threads);
      measures.push({ ...m, round, loadBefore });
      process.stderr.write(
        `round ${round} ${m.impl} ${threads} thread(s): ${(m.images / m.cpuSeconds).toFixed(1)} images/CPU-s, ${(m.images / m.wallSeconds).toFixed(1)} images/s wall, load ${loadBefore[0]}\n`,
      );
    }
  }
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
const stages = {
  ours: lastJson(
    (
      await run(process.execPath, ['--import', 'tsx', 'bench/imagenet-input/stages.ts', '--dir', dir], {
        env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
      })
    ).stdout,
  ),
  torchvision: lastJson(
    (
      await run(values.python!, ['bench/imagenet-input/torchvision_ref.py', '--dir', dir, '--stages'], {
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      })
    ).stdout,
  ),
};
const uptimeAtEnd = await uptime();
await rm(dir, { recursive: true, force: true });

// Per configuration, the best round (the one least disturbed by other load).
const best = (impl: string, threads: number) =>
  measures
    .filter((m) => m.impl.startsWith(impl) && m.threads === threads)
    .reduce((a, b) => (b.images / b.cpuSeconds > a.images / a.cpuSeconds ? b : a));
const rows = [1, 2].map((threads) => {
  const a = best('noisy', threads),
    b = best('torchvision', threads);
  const perCoreOurs = a.images / a.cpuSeconds,
    perCoreTheirs = b.images / b.cpuSeconds;
  return {
    threads,
    oursImagesPerCpuSecond: perCoreOurs,
    torchvisionImagesPerCpuSecond: perCoreTheirs,
    ratio: perCoreOurs / perCoreTheirs,
    oursImagesPerSecondWall: a.images / a.wallSeconds,
    torchvisionImagesPerSecondWall: b.images / b.wallSeconds,
    coresFor1000ImagesPerSecond: { ours: 1000 / perCoreOurs, torchvision: 1000 / perCoreTheirs },
  };
});
const result = {
  bench: 'imagenet-input',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    shared: values.shared ?? null,
    uptimeAtStart,
    uptimeAtEnd,
  },
  images: N,
  pictures: '~500x375 (480-520 x 360-390, 1 in 5 portrait), JPEG quality 90, generated by tools/imagenet-gen',
  ours: 'distorted bounding-box crop (TF formulas) + decode of the crop only (libjpeg-turbo addon: m/8 DCT scaling, cropped scanlines, rows below the crop skipped) + bicubic resize to 224 + flip + normalise written into the batch, InputPool worker threads, batch 32',
  torchvision:
    'PIL decode + RandomResizedCrop(224) (bilinear, antialiased) + RandomHorizontalFlip + ToTensor + Normalize, DataLoader batch 32 (threads 1: main process; 2: two worker processes)',
  method:
    'interleaved ours/theirs per thread count, best of the rounds per configuration; per core = images / CPU seconds of the process and its threads/workers; warm-up pass first (our worker start-up not timed; DataLoader worker forks are); loadBefore = 1/5/15-minute load average before each measurement',
  rows,
  stages: {
    method:
      'one thread, no pool or DataLoader; each stage adds to the one before; CPU ms per picture, best of 6 rounds of 128 pictures',
    ...stages,
  },
  measures,
};
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/imagenet-input.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
