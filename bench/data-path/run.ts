// bench/data-path: the share of a training step spent on the data path (RandAugment N=2 M=5 with
// cutout and pad-crop, batch assembly: per image per step; PNG decode: once per image per stage,
// when the trainer unpacks its shards) against the step time per image measured by
// bench/throughput (bench/results/throughput-vs-pytorch.json: the default backend, wasm + oneDNN at
// 2 threads, and plain wasm for comparison).
//   npm run bench:data-path
import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@noisy/core';
import { decodeImage, encodePng, type Image } from '@noisy/data';
import { augmentForTraining, makeBatch, selectBackend, type ImageSet } from '@noisy/ml';

await selectBackend('wasm');
const rng = createRng(3);
const cases = [
  { model: 'cnn-small', shape: [28, 28, 1] as [number, number, number] },
  { model: 'wrn-28-2', shape: [32, 32, 3] as [number, number, number] },
  { model: 'efficientnet-b0', shape: [32, 32, 3] as [number, number, number] },
];
const throughput = JSON.parse(await readFile('bench/results/throughput-vs-pytorch.json', 'utf8')) as {
  rows: Array<{ backend: string; model: string; trainImagesPerSecond: number; batch: { train: number } }>;
};
const results = [];
for (const { model, shape } of cases) {
  const [h, w, c] = shape;
  const n = 2048;
  const images: Image[] = Array.from({ length: n }, () => ({
    height: h,
    width: w,
    channels: c,
    data: Uint8Array.from({ length: h * w * c }, () => rng.int(256)),
  }));
  const pngs = images.map(encodePng);
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return (performance.now() - t) / 1000 / n;
  };
  const decode = time(() => {
    for (const p of pngs) decodeImage(p, c as 1 | 3, 'bench');
  });
  const augment = time(() => {
    for (const img of images)
      augmentForTraining(
        img,
        { randAugment: { layers: 2, magnitude: 5, cutoutOp: true, extraCutout: true }, flip: false, padCrop: true },
        rng,
      );
  });
  const set: ImageSet = { kind: 'image', count: n, shape, pixels: new Uint8Array(n * h * w * c) };
  images.forEach((img, i) => set.pixels.set(img.data, i * h * w * c));
  const stats = { mean: new Array(c).fill(0.5), std: new Array(c).fill(0.25) };
  const batch = time(() => {
    for (let i = 0; i < n; i += 128)
      tf.dispose(makeBatch([{ set, indices: Array.from({ length: 128 }, (_, k) => (i + k) % n) }], stats, rng));
  });
  for (const backend of ['onednn-2t', 'wasm']) {
    const row = throughput.rows.find((r) => r.backend === backend && r.model === model);
    if (!row) continue;
    const step = 1 / row.trainImagesPerSecond;
    const perStep = augment + batch;
    // share: of a step, the per-step work; shareIfDecodedEveryStep: as if every image were decoded again each step (tf.data in the original).
    results.push({
      model,
      backend,
      shape,
      secondsPerImage: { decode, augment, batch, perStep, trainStep: step },
      share: perStep / (perStep + step),
      shareIfDecodedEveryStep: (perStep + decode) / (perStep + decode + step),
    });
    process.stderr.write(
      `${model} ${backend}: augment + batch ${(perStep * 1e3).toFixed(3)} ms/img, decode ${(decode * 1e3).toFixed(3)} ms/img, step ${(step * 1e3).toFixed(2)} ms/img, share ${((100 * perStep) / (perStep + step)).toFixed(1)}%\n`,
    );
  }
}
await writeFile(
  'bench/results/data-path.json',
  `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log(
  '| model (input) | backend | RandAugment+crop ms/img | batch ms/img | train step ms/img | share of a step | decode ms/img (once per stage) | share if decoded every step |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(
    `| ${r.model} (${r.shape.join('×')}) | ${r.backend} | ${(r.secondsPerImage.augment * 1e3).toFixed(3)} | ${(r.secondsPerImage.batch * 1e3).toFixed(3)} | ${(r.secondsPerImage.trainStep * 1e3).toFixed(2)} | ${(100 * r.share).toFixed(1)}% | ${(r.secondsPerImage.decode * 1e3).toFixed(3)} | ${(100 * r.shareIfDecodedEveryStep).toFixed(1)}% |`,
  );
