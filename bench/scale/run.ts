// bench/scale: does the offline pipeline's cost grow linearly with data while memory stays flat?
//   npm run bench:scale -- [--sizes 1000000,3000000,10000000] [--classes 1000] [--shard 100000]
//     [--predict 10000,100000]
// 1. Filter/balance over N synthetic teacher predictions (1,000 classes, skewed class sizes and
//    confidences): the map (per-shard histogram), the reduce (thresholds) and the output pass
//    (copies per example) exactly as the filter stages run them, streamed shard by shard: a shard's
//    predictions are generated, used and dropped. Each size runs in its own process, so its peak
//    RSS (getrusage maxRSS) is its own.
// 2. Teacher prediction (`noisy predict`, cnn-small on 28x28x1) over TFRecord inputs of two sizes,
//    10x apart: same peak RSS expected, time linear.
// Writes bench/results/scale.json and prints markdown tables for docs/performance.md.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createRng, type FilterSpec } from '@noisy/core';
import {
  computeThresholds,
  copiesFor,
  shardStats,
  type Prediction,
  type ShardStats,
} from '../../libs/pipeline/src/analysis/balance.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,3000000,10000000' },
    classes: { type: 'string', default: '1000' },
    shard: { type: 'string', default: '100000' },
    predict: { type: 'string', default: '10000,100000' },
    child: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const classes = Number(values.classes);
const shardSize = Number(values.shard);

/**
 * Shard s's predictions, regenerated identically on each pass: class sizes skewed (Zipf-like),
 * confidence Beta-like.
 */
function* predictions(n: number, s: number): Generator<Prediction> {
  const rng = createRng(7).fork(`shard:${s}`);
  for (let i = 0; i < n; i++) {
    const label = Math.min(classes - 1, Math.floor(classes * rng.next() ** 1.5));
    const prob = Math.min(1, 1 / classes + (1 - 1 / classes) * Math.max(rng.next(), rng.next()) ** 0.7);
    yield { id: `${s}:${i}`, label, prob };
  }
}

/** One size, in this process: map, reduce, output; returns seconds per phase and peak RSS. */
function filterOnce(total: number) {
  const spec: FilterSpec = { minThreshold: 0.3, perClass: 'auto', mode: 'balanced', upsample: true, encode: 'raw' };
  const shards = Math.ceil(total / shardSize);
  const sizeOf = (s: number) => Math.min(shardSize, total - s * shardSize);
  const t0 = performance.now();
  // Map + fold: the reduce only needs the summed histogram, so one accumulator replaces N shard stats.
  let acc: ShardStats | null = null;
  for (let s = 0; s < shards; s++) {
    const st = shardStats(predictions(sizeOf(s), s), classes, null);
    if (!acc) acc = st;
    else
      for (let c = 0; c < classes; c++)
        for (let j = 0; j < st.histogram[c].length; j++) acc.histogram[c][j] += st.histogram[c][j];
  }
  const t1 = performance.now();
  const thresholds = computeThresholds([acc!], Math.floor(total / classes), spec);
  const t2 = performance.now();
  let kept = 0;
  for (let s = 0; s < shards; s++) {
    const rng = createRng(7).fork(`output:${s}`);
    for (const p of predictions(sizeOf(s), s)) kept += copiesFor(p, thresholds, spec, rng);
  }
  const t3 = performance.now();
  return {
    predictions: total,
    shards,
    kept,
    expectedKept: thresholds.expectedKept,
    seconds: { map: (t1 - t0) / 1000, reduce: (t2 - t1) / 1000, output: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (values.child) {
  process.stdout.write(JSON.stringify(filterOnce(Number(values.child))));
  process.exit(0);
}

const filter = [];
for (const n of values.sizes.split(',').map(Number)) {
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/scale/run.ts',
      '--child',
      String(n),
      '--classes',
      String(classes),
      '--shard',
      String(shardSize),
    ],
    { maxBuffer: 1 << 20 },
  );
  const r = JSON.parse(stdout);
  filter.push(r);
  process.stderr.write(
    `filter ${n.toLocaleString()}: ${r.seconds.total.toFixed(1)} s, ` +
      `peak RSS ${r.peakRssMiB.toFixed(0)} MiB, kept ${r.kept}\n`,
  );
}

// Teacher prediction: an untrained cnn-small checkpoint (cost and memory do not depend on the weights).
const dir = await mkdtemp(join(tmpdir(), 'scale-'));
const predict = [];
try {
  const tf = await import('@tensorflow/tfjs');
  const { buildModel, commitCheckpoint, saveCheckpoint, computeStats } = await import('@noisy/ml');
  const { openLocalStore } = await import('@noisy/platform');
  const { encodeSample, encodeTFRecords } = await import('@noisy/data');
  await tf.setBackend('cpu');
  const store = await openLocalStore(`file://${join(dir, 'store')}`);
  const model = buildModel(
    { name: 'cnn-small', width: 1, depth: 1, dropout: null, stochasticDepth: 0, hidden: [] },
    { inputShape: [28, 28, 1], classes: 10 },
    3,
  );
  const stats = computeStats({ kind: 'image', count: 1, shape: [28, 28, 1], pixels: new Uint8Array(784).fill(100) });
  await saveCheckpoint(store, 'model', model, {
    model: { name: 'cnn-small', width: 1, depth: 1 },
    input: { kind: 'image', shape: [28, 28, 1], classes: 10, classNames: [], stats },
    config: {},
    metrics: {},
    parents: [],
  });
  await commitCheckpoint(store, 'model');
  model.dispose();
  for (const n of values.predict.split(',').map(Number)) {
    const file = join(dir, `images-${n}.tfrecord`);
    const rng = createRng(n);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < n; i++)
      chunks.push(
        encodeSample({
          id: `img-${i}`,
          image: { height: 28, width: 28, channels: 1, data: Uint8Array.from({ length: 784 }, () => rng.int(256)) },
        }),
      );
    await writeFile(file, encodeTFRecords(chunks));
    const started = performance.now();
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/scale/predict-child.ts',
        '--model',
        'model',
        '--input',
        file,
        '--out',
        join(dir, `p-${n}.csv`),
        '--store',
        join(dir, 'store'),
        '--batch',
        '256',
        '--backend',
        'wasm',
      ],
      { maxBuffer: 64 << 20 },
    );
    const seconds = (performance.now() - started) / 1000;
    const { code, peakRssMiB } = JSON.parse(stdout) as { code: number; peakRssMiB: number };
    if (code !== 0) throw new Error(`noisy predict exited with ${code}`);
    predict.push({ images: n, seconds, imagesPerSecond: n / seconds, peakRssMiB });
    process.stderr.write(`predict ${n.toLocaleString()}: ${seconds.toFixed(1)} s\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const report = { date: new Date().toISOString(), classes, shardSize, filter, predict };
await writeFile(join(values.out, 'scale.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log('| predictions | shards | map s | reduce s | output s | total s | s per million | peak RSS MiB | kept |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of filter)
  console.log(
    `| ${[
      r.predictions.toLocaleString(),
      r.shards,
      r.seconds.map.toFixed(1),
      r.seconds.reduce.toFixed(2),
      r.seconds.output.toFixed(1),
      r.seconds.total.toFixed(1),
      (r.seconds.total / (r.predictions / 1e6)).toFixed(2),
      r.peakRssMiB.toFixed(0),
      r.kept.toLocaleString(),
    ].join(' | ')} |`,
  );
console.log('\n| images predicted | seconds | images/s | peak RSS MiB |');
console.log('|---|---|---|---|');
for (const r of predict)
  console.log(
    `| ${r.images.toLocaleString()} | ${r.seconds.toFixed(1)} | ` +
      `${r.imagesPerSecond.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} |`,
  );
