// bench/throughput: images/s of prediction and of a full training step (loss, gradients,
// RMSProp, EMA) per model and backend, interleaved repetitions, medians; plus the wasm gradient
// kernels' error against the cpu backend. Writes bench/results/throughput.json.
//   npm run bench:throughput -- [--reps 3] [--backends onednn-1t,onednn-2t,wasm,cpu] [--models cnn-small,wrn-28-2,efficientnet-b0]
//     [--pytorch] [--torch-threads 1,2]
// --pytorch runs bench/throughput/pytorch_ref.py (the same architectures in PyTorch, Debian
// python3-torch, installed here with apt-get when missing) interleaved with ours in every
// repetition, and reports ours/PyTorch ratios. FLOPs per image come from the tfjs models
// (libs/ml/src/flops.ts); GFLOP/s = FLOPs x images/s (x3 for a training step).
// Backends: 'wasm' is tfjs's wasm backend alone (XNNPACK, one thread); 'onednn-Nt' is the same
// backend with its convolutions on the oneDNN addon at N threads (the default when the addon built).
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { compileExperiment, createRng } from '@noisy/core';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  buildModel,
  configureOnednn,
  currentBackend,
  forwardFlops,
  predictProbabilities,
  selectBackend,
  trainModel,
  type ImageSet,
} from '@noisy/ml';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/results/throughput.json' },
    reps: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'onednn-1t,onednn-2t,wasm,cpu' },
    models: { type: 'string', default: 'cnn-small,wrn-28-2,efficientnet-b0' },
    pytorch: { type: 'boolean', default: false },
    'torch-threads': { type: 'string', default: '1,2' },
  },
});
const exec = promisify(execFile);
// Debian's interpreter, where apt installs python3-torch (a python3 earlier on PATH may be another one).
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** This CPU's fp32 peak, measured (docs/performance-record.md): 2 cores x AVX-512 FMA. */
const PEAK_GFLOPS = 317;
const reps = Number(values.reps);
const shapes: Record<string, [number, number, number]> = {
  'cnn-small': [28, 28, 1],
  'efficientnet-b0': [32, 32, 3],
  'wrn-28-2': [32, 32, 3],
};
// The pure-JS cpu backend is orders of magnitude slower: measure it on smaller batches.
// EfficientNet-B0-small training at batch 128 exceeds the wasm heap (4 GB): batch 32. WRN-28-2 training
// at batch 128 crashes the wasm backend ("memory access out of bounds"); 64 runs. PyTorch gets the same batches.
const batches = (backend: string, model = 'cnn-small') => {
  const eff = model.startsWith('efficientnet');
  if (backend === 'cpu') return eff ? { train: 2, predict: 8 } : { train: 8, predict: 32 };
  if (backend === 'tensorflow') return { train: 128, predict: 256 }; // native TF (GPU): no wasm heap limit
  return eff ? { train: 32, predict: 128 } : { train: model.startsWith('wrn') ? 64 : 128, predict: 256 };
};

function images(n: number, shape: [number, number, number]): ImageSet {
  const rng = createRng(1);
  return {
    kind: 'image',
    count: n,
    shape,
    pixels: Uint8Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => rng.int(256)),
  };
}

/** Select the tfjs backend for a bench backend name; 'onednn-Nt' is wasm + oneDNN at N threads. */
async function useBackend(backend: string): Promise<string> {
  const onednn = /^onednn-(\d+)t$/.exec(backend);
  const tfBackend = onednn ? 'wasm' : backend;
  await selectBackend(tfBackend as 'wasm');
  await tf.setBackend(tfBackend);
  if (onednn && !currentBackend()?.kernels)
    throw new Error(`${backend}: the oneDNN addon is not loaded (${currentBackend()?.kernelsSkipped})`);
  if (tfBackend === 'wasm')
    configureOnednn({ enabled: Boolean(onednn), threads: onednn ? Number(onednn[1]) : undefined });
  return tfBackend;
}

async function measure(backend: string, name: string): Promise<{ train: number; predict: number; flops: number }> {
  backend = await useBackend(backend);
  const shape = shapes[name];
  const b = batches(backend, name);
  const e = compileExperiment({
    data: { source: { kind: 'synthetic' } },
    students: [{}],
    teacher: { model: { name } },
    train: { steps: 4, batchSize: b.train, randAugment: null, padCrop: false },
  });
  const model = buildModel(e.stages[0].model, { inputShape: shape, classes: 10 }, 0);
  const flops = forwardFlops(model);
  const stats = { mean: new Array(shape[2]).fill(0.5), std: new Array(shape[2]).fill(0.25) };
  const set = images(b.predict, shape);
  await predictProbabilities(model, set, stats, b.predict); // warm-up
  const t = performance.now();
  await predictProbabilities(model, set, stats, b.predict);
  const predict = b.predict / ((performance.now() - t) / 1000);
  const labels = Int32Array.from({ length: b.train }, (_, i) => i % 10);
  const train = { set: images(b.train, shape), labels };
  // Step times from the per-step progress reports (every step ends an epoch here): the first step compiles and is left out.
  const stepEnds: number[] = [];
  const r = await trainModel({
    model,
    labeled: train,
    unlabeled: null,
    classes: 10,
    stats,
    train: e.stages[0].train,
    pseudoLabels: { kind: 'hard' },
    noise: {},
    rng: createRng(0),
    onProgress: () => {
      stepEnds.push(performance.now());
    },
  });
  model.dispose();
  const trainRate =
    stepEnds.length >= 2
      ? (b.train * (stepEnds.length - 1)) / ((stepEnds.at(-1)! - stepEnds[0]) / 1000)
      : b.train / (r.seconds / r.steps);
  return { train: trainRate, predict, flops };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Array<{
  backend: string;
  model: string;
  batch: { train: number; predict: number };
  trainImagesPerSecond: number;
  predictImagesPerSecond: number;
  reps: number;
  mflopsPerImage?: number;
  trainGflops?: number;
  predictGflops?: number;
  peakFraction?: { train: number; predict: number };
}> = [];
const samples: Record<string, { train: number[]; predict: number[] }> = {};
const flopsOf: Record<string, number> = {};
const models = values.models.split(',');
const torchThreads = values['torch-threads'].split(',').map(Number);
let torchInfo: unknown = null;
async function ensureTorch(): Promise<void> {
  if (
    await exec(PY, ['-c', 'import torch']).then(
      () => true,
      () => false,
    )
  )
    return;
  process.stderr.write('installing the Debian package python3-torch for the PyTorch reference\n');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  await exec(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'python3-torch'], {
    maxBuffer: 64 << 20,
  });
}
async function pytorch(threads: number): Promise<Record<string, { train: number; predict: number }>> {
  const trainBatch = models.map((m) => `${m}=${batches('wasm', m).train}`).join(',');
  const { stdout } = await exec(
    PY,
    [
      'bench/throughput/pytorch_ref.py',
      '--threads',
      String(threads),
      '--models',
      models.join(','),
      '--train-batch',
      trainBatch,
      '--predict-batch',
      '256',
      '--iters',
      '3',
    ],
    { maxBuffer: 16 << 20 },
  );
  const out = JSON.parse(stdout) as {
    torch: string;
    mkldnn: boolean;
    models: Record<string, { train: number; predict: number }>;
  };
  torchInfo = { version: out.torch, mkldnn: out.mkldnn };
  return out.models;
}
if (values.pytorch) await ensureTorch();
for (let rep = 0; rep < reps; rep++) {
  if (values.pytorch) {
    for (const threads of torchThreads) {
      for (const [name, m] of Object.entries(await pytorch(threads))) {
        const key = `pytorch-${threads}t|${name}`;
        samples[key] ??= { train: [], predict: [] };
        samples[key].train.push(m.train);
        samples[key].predict.push(m.predict);
        process.stderr.write(
          `rep ${rep} ${key}: train ${m.train.toFixed(1)} img/s, predict ${m.predict.toFixed(1)} img/s\n`,
        );
      }
    }
  }
  for (const backend of values.backends.split(','))
    for (const name of models) {
      const key = `${backend}|${name}`;
      if (backend === 'cpu' && name !== 'cnn-small' && rep > 0) continue; // one repetition of the slowest cells
      const m = await measure(backend, name);
      flopsOf[name] = m.flops;
      samples[key] ??= { train: [], predict: [] };
      samples[key].train.push(m.train);
      samples[key].predict.push(m.predict);
      process.stderr.write(
        `rep ${rep} ${key}: train ${m.train.toFixed(1)} img/s, predict ${m.predict.toFixed(1)} img/s\n`,
      );
    }
}
for (const [key, s] of Object.entries(samples)) {
  const [backend, model] = key.split('|');
  const train = median(s.train),
    predict = median(s.predict);
  const f = flopsOf[model];
  const trainGflops = f ? (3 * f * train) / 1e9 : undefined,
    predictGflops = f ? (f * predict) / 1e9 : undefined;
  rows.push({
    backend,
    model,
    batch: backend.startsWith('pytorch')
      ? { train: batches('wasm', model).train, predict: 256 }
      : batches(backend, model),
    trainImagesPerSecond: train,
    predictImagesPerSecond: predict,
    reps: s.train.length,
    ...(f
      ? {
          mflopsPerImage: f / 1e6,
          trainGflops,
          predictGflops,
          peakFraction: { train: trainGflops! / PEAK_GFLOPS, predict: predictGflops! / PEAK_GFLOPS },
        }
      : {}),
  });
}
// Ours / PyTorch at the same thread count: onednn-Nt against pytorch-Nt, and wasm (one thread) against pytorch-1t.
const pairs = [...torchThreads.map((t) => [`onednn-${t}t`, `pytorch-${t}t`]), ['wasm', 'pytorch-1t']];
const ratios = values.pytorch
  ? pairs
      .flatMap(([oursName, refName]) =>
        models.map((model) => {
          const ours = rows.find((r) => r.backend === oursName && r.model === model);
          const ref = rows.find((r) => r.backend === refName && r.model === model);
          return ours && ref
            ? {
                model,
                ours: oursName,
                reference: refName,
                train: ours.trainImagesPerSecond / ref.trainImagesPerSecond,
                predict: ours.predictImagesPerSecond / ref.predictImagesPerSecond,
              }
            : null;
        }),
      )
      .filter(Boolean)
  : [];
await mkdir('bench/results', { recursive: true });
await writeFile(
  values.out,
  `${JSON.stringify({ date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, peakGflops: PEAK_GFLOPS, torch: torchInfo, rows, ratios }, null, 2)}\n`,
);
console.log(
  '| backend | model | MFLOP/img | train img/s (batch) | train GFLOP/s (% peak) | predict img/s (batch) | predict GFLOP/s (% peak) |',
);
console.log('|---|---|---|---|---|---|---|');
const pc = (x?: number) => (x === undefined ? '' : `${(100 * x).toFixed(1)}%`);
for (const r of rows)
  console.log(
    `| ${r.backend} | ${r.model} | ${r.mflopsPerImage?.toFixed(1) ?? ''} | ${r.trainImagesPerSecond.toFixed(1)} (${r.batch.train}) | ${r.trainGflops?.toFixed(2) ?? ''} (${pc(r.peakFraction?.train)}) | ${r.predictImagesPerSecond.toFixed(1)} (${r.batch.predict}) | ${r.predictGflops?.toFixed(2) ?? ''} (${pc(r.peakFraction?.predict)}) |`,
  );
if (ratios.length) {
  console.log('\n| ours | PyTorch | model | train ours/PyTorch | predict ours/PyTorch |');
  console.log('|---|---|---|---|---|');
  for (const r of ratios)
    console.log(`| ${r!.ours} | ${r!.reference} | ${r!.model} | ${r!.train.toFixed(2)} | ${r!.predict.toFixed(2)} |`);
}
