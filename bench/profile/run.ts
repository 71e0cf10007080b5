// bench/profile: where a training step and a prediction batch spend their time, per tfjs kernel
// (tf.profile), for each benchmarked model on the wasm backend with or without the oneDNN kernels.
// Time outside kernels (JS dispatch, tape bookkeeping, GC) is the wall time minus the kernel sum.
//   npm run bench:profile -- [--models cnn-small,wrn-28-2,efficientnet-b0] [--onednn on|off] [--threads 1]
// Writes bench/results/profile-<onednn|wasm>.json and prints the top kernels per step.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { compileExperiment, createRng } from '@noisy/core';
import {
  buildModel,
  configureOnednn,
  currentBackend,
  predictProbabilities,
  selectBackend,
  trainModel,
  type ImageSet,
} from '@noisy/ml';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'cnn-small,wrn-28-2,efficientnet-b0' },
    onednn: { type: 'string', default: 'on' },
    threads: { type: 'string', default: '1' },
    steps: { type: 'string', default: '3' },
  },
});
const shapes: Record<string, [number, number, number]> = {
  'cnn-small': [28, 28, 1],
  'efficientnet-b0': [32, 32, 3],
  'wrn-28-2': [32, 32, 3],
};
// The batches of bench/throughput (wasm).
const trainBatch = (m: string) => (m.startsWith('efficientnet') ? 32 : m.startsWith('wrn') ? 64 : 128);
const predictBatch = (m: string) => (m.startsWith('efficientnet') ? 128 : 256);

await selectBackend('wasm');
const onednn = values.onednn === 'on';
if (onednn && !currentBackend()?.kernels)
  throw new Error(`the oneDNN addon is not loaded: ${currentBackend()?.kernelsSkipped}`);
configureOnednn({ enabled: onednn, threads: Number(values.threads) });

function images(n: number, shape: [number, number, number]): ImageSet {
  const rng = createRng(1);
  return {
    kind: 'image',
    count: n,
    shape,
    pixels: Uint8Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.int(256)),
  };
}

interface Breakdown {
  wallMs: number;
  kernelMs: number;
  top: Array<{ kernel: string; ms: number; share: number }>;
}

async function profile(run: () => Promise<void>, repeats: number): Promise<Breakdown> {
  const t = performance.now();
  const info = await tf.profile(async () => {
    await run();
    return tf.scalar(0);
  });
  const wallMs = (performance.now() - t) / repeats;
  const byKernel = new Map<string, number>();
  // tf.profile also lists op scopes (`conv2d__op`, 'unnamed scope') that wrap kernels: keep kernels only.
  for (const k of info.kernels.filter((k) => !k.name.endsWith('__op') && k.name !== 'unnamed scope'))
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number) / repeats);
  const kernelMs = [...byKernel.values()].reduce((a, b) => a + b, 0);
  const top = [...byKernel.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([kernel, ms]) => ({ kernel, ms, share: ms / wallMs }));
  return { wallMs, kernelMs, top };
}

const results: Record<string, { train: Breakdown; predict: Breakdown }> = {};
for (const name of values.models.split(',')) {
  const shape = shapes[name];
  const steps = Number(values.steps);
  const e = compileExperiment({
    data: { source: { kind: 'synthetic' } },
    students: [{}],
    teacher: { model: { name } },
    train: { steps: steps + 1, batchSize: trainBatch(name), randAugment: null, padCrop: false },
  });
  const model = buildModel(e.stages[0].model, { inputShape: shape, classes: 10 }, 0);
  const stats = { mean: new Array(shape[2]).fill(0.5), std: new Array(shape[2]).fill(0.25) };
  const set = images(predictBatch(name), shape);
  await predictProbabilities(model, set, stats, predictBatch(name)); // warm-up
  const predict = await profile(async () => {
    await predictProbabilities(model, set, stats, predictBatch(name));
  }, 1);
  const labeled = {
    set: images(trainBatch(name), shape),
    labels: Int32Array.from({ length: trainBatch(name) }, (_, i) => i % 10),
  };
  // steps + 1 steps, the first compiles kernels and primitives: profile them all, report per step.
  const train = await profile(async () => {
    await trainModel({
      model,
      labeled,
      unlabeled: null,
      classes: 10,
      stats,
      train: e.stages[0].train,
      pseudoLabels: { kind: 'hard' },
      noise: {},
      rng: createRng(0),
    });
  }, steps + 1);
  model.dispose();
  results[name] = { train, predict };
  for (const [what, b] of Object.entries(results[name])) {
    const outside = Math.max(b.wallMs - b.kernelMs, 0);
    console.log(
      `${name} ${what}: ${b.wallMs.toFixed(0)} ms per ${what === 'train' ? 'step' : 'batch'}; outside kernels ${((100 * outside) / b.wallMs).toFixed(0)}%`,
    );
    console.log(`  ${b.top.map((k) => `${k.kernel} ${(100 * k.share).toFixed(0)}%`).join(', ')}`);
  }
}
await mkdir('bench/results', { recursive: true });
const out = `bench/results/profile-${onednn ? `onednn-${values.threads}t` : 'wasm'}.json`;
await writeFile(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), onednn, threads: Number(values.threads), results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
