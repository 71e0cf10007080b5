// One rank of a data-parallel train step, as a process: the tests start 1 or 2 of these. Tiny
// tabular data and a model without batch norm or dropout, where 2 ranks at B/2 must equal
// 1 rank at B up to float32 summation order. Prints JSON lines; rank 0 writes the final weights.
//   started by launchLocalRanks: node --import tsx tests/e2e/data-parallel/rank.ts '<json options per rank>'
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { openCollective } from '@noisy/collective';
import { compileExperiment, createRng } from '@noisy/core';
import { buildModel, selectBackend, trainModel, type TabularSet } from '@noisy/ml';
import { FileObjectStore } from '@noisy/platform';

// Rank, world size and rendezvous come from launchLocalRanks' environment (NOISY_RANK, ...).
interface Options {
  store: string;
  everySteps: number;
  steps: number;
  out: string;
  /** SIGKILL this process after `dieAt` steps of this attempt (use on a first attempt). */
  dieAt?: number;
  /** The product's MLP (batch norm, dropout) instead of the plain one: per-replica BN statistics. */
  productMlp?: boolean;
}
const rank = Number(process.env.NOISY_RANK ?? 0);
// argv[2]: one options object per rank.
const o = (JSON.parse(process.argv[2]) as Options[])[rank];
const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);

const F = 8,
  C = 3;
function table(n: number, seed: number): TabularSet {
  const rng = createRng(seed);
  return { kind: 'tabular', count: n, shape: [F], features: Float32Array.from({ length: n * F }, () => rng.normal()) };
}

async function main(): Promise<void> {
  await selectBackend('cpu');
  const stage = compileExperiment({
    data: { source: { kind: 'table', train: 'rows.csv' } },
    teacher: { model: { name: 'mlp', hidden: [32], dropout: 0.2 } },
    students: [{ model: { name: 'mlp' } }],
    train: { steps: o.steps, batchSize: 16, learningRate: 0.02, warmupEpochs: 0, emaDecay: 0.99 },
  }).stages[0];
  const train = stage.train;
  const labeled = table(64, 1);
  const labels = Int32Array.from(
    { length: 64 },
    (_, i) => (labeled.features[i * F] > 0 ? 1 : 0) + (i % 4 === 0 ? 1 : 0),
  );
  const rng = createRng(2);
  const probabilities = Float32Array.from({ length: 96 * C }, () => rng.next());
  for (let i = 0; i < 96; i++) {
    const row = probabilities.subarray(i * C, (i + 1) * C);
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, k) => (row[k] = v / sum));
  }
  // Seeded initialisers: every rank builds the same weights (rank 0's are broadcast anyway).
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = o.productMlp
    ? buildModel(stage.model, { inputShape: [F], classes: C }, 4)
    : tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [F], units: 32, activation: 'relu', kernelInitializer: init(1), name: 'fc0' }),
          tf.layers.dense({ units: C, kernelInitializer: init(2), name: 'logits' }),
        ],
      });
  const collective = await openCollective(process.env);
  const tensorsBefore = tf.memory().numTensors;
  let calls = 0;
  const result = await trainModel({
    model,
    labeled: { set: labeled, labels },
    unlabeled: { set: table(96, 3), probabilities },
    classes: C,
    stats: { mean: new Array(F).fill(0), std: new Array(F).fill(1) },
    train: { ...train, unlabelRatio: 1 },
    pseudoLabels: { kind: 'soft', temperature: 1 },
    noise: {},
    rng: createRng(5),
    collective,
    checkpoints: {
      store: new FileObjectStore(o.store),
      prefix: 'runs/dp/gen-1/train-state',
      everySteps: o.everySteps,
      fingerprint: 'dp-test',
      onCheckpoint: (step) => say({ rank, checkpoint: step }),
    },
    shouldStop: () => {
      if (o.dieAt !== undefined && ++calls > o.dieAt) process.kill(process.pid, 'SIGKILL');
      return false;
    },
  });
  await collective.close();
  const leaked = tf.memory().numTensors - tensorsBefore;
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  if (rank === 0) writeFileSync(o.out, JSON.stringify({ weights, resumedFrom: result.resumedFrom }));
  say({ rank, done: true, resumedFrom: result.resumedFrom, steps: result.steps, leaked });
}
main().catch((err: Error & { failure?: string; retryable?: boolean }) => {
  say({ rank, error: err.name, failure: err.failure, retryable: err.retryable, message: err.message });
  process.exit(3);
});
