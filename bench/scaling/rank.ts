// One rank of the scaling benchmark: trains `steps` steps of a model on synthetic images with a
// Collective wrapped in a timer, then times bare all-reduces of the model's gradient size.
// Per step: compute (forward, backward, packing gradients, optimiser, EMA), wait (a barrier before
// the all-reduce: time spent waiting for the slower rank) and all-reduce (the transfer itself).
//   node --import tsx bench/scaling/rank.ts '<json: rank, size, threads, model, batch, steps, rendezvous>'
import { compileExperiment, createRng } from '@noisy/core';
import { connectGloo, SingleRank, type Collective } from '@noisy/collective';
import { buildModel, configureOnednn, currentBackend, selectBackend, trainModel, type ImageSet } from '@noisy/ml';

const o = JSON.parse(process.argv[2]) as {
  rank: number;
  size: number;
  threads: number;
  model: string;
  shape: [number, number, number];
  batch: number;
  steps: number;
  rendezvous: string;
};

/** The port with a stopwatch: every all-reduce is preceded by a barrier so waiting and transfer separate. */
class Timed implements Collective {
  readonly steps: Array<{ computeMs: number; waitMs: number; allReduceMs: number }> = [];
  private last = performance.now();
  constructor(private readonly inner: Collective) {}
  get rank() {
    return this.inner.rank;
  }
  get size() {
    return this.inner.size;
  }
  get backend() {
    return this.inner.backend;
  }
  async allReduceSum(data: Float32Array): Promise<void> {
    const t0 = performance.now();
    await this.inner.barrier();
    const t1 = performance.now();
    await this.inner.allReduceSum(data);
    const t2 = performance.now();
    this.steps.push({ computeMs: t0 - this.last, waitMs: t1 - t0, allReduceMs: t2 - t1 });
    this.last = t2;
  }
  /** Single rank: no all-reduce happens; step ends come from progress reports. */
  mark(): void {
    const now = performance.now();
    this.steps.push({ computeMs: now - this.last, waitMs: 0, allReduceMs: 0 });
    this.last = now;
  }
  broadcast = (d: Float32Array, root: number) => this.inner.broadcast(d, root);
  barrier = () => this.inner.barrier();
  allGather = (v: Float64Array) => this.inner.allGather(v);
  close = () => this.inner.close();
}

await selectBackend('wasm');
configureOnednn({ enabled: true, threads: o.threads });
const inner =
  o.size > 1
    ? await connectGloo({ rank: o.rank, size: o.size, rendezvous: { kind: 'file', dir: o.rendezvous }, id: 'bench' })
    : new SingleRank();
const c = new Timed(inner);
const e = compileExperiment({
  data: { source: { kind: 'synthetic' } },
  students: [{}],
  teacher: { model: { name: o.model } },
  train: { steps: o.steps, batchSize: o.batch, randAugment: null, padCrop: false },
});
const model = buildModel(e.stages[0].model, { inputShape: o.shape, classes: 10 }, 0);
const rng = createRng(1);
const n = o.batch;
const set: ImageSet = {
  kind: 'image',
  count: n,
  shape: o.shape,
  pixels: Uint8Array.from({ length: n * o.shape[0] * o.shape[1] * o.shape[2] }, () => rng.int(256)),
};
const params = model.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y as number), 1), 0);
await trainModel({
  model,
  labeled: { set, labels: Int32Array.from({ length: n }, (_, i) => i % 10) },
  unlabeled: null,
  classes: 10,
  stats: { mean: new Array(o.shape[2]).fill(0.5), std: new Array(o.shape[2]).fill(0.25) },
  train: e.stages[0].train,
  pseudoLabels: { kind: 'hard' },
  noise: {},
  rng: createRng(0),
  collective: c,
  // One step per epoch (n = batch): the epoch hook marks single-rank step ends.
  onEpoch: () => {
    if (o.size === 1) c.mark();
  },
});
// Bare all-reduce of the gradient's size (params + a few BN statistics), 5 times.
const bare: number[] = [];
if (o.size > 1) {
  const buf = new Float32Array(params);
  for (let i = 0; i < 5; i++) {
    await inner.barrier();
    const t = performance.now();
    await inner.allReduceSum(buf);
    bare.push(performance.now() - t);
  }
}
await inner.close();
process.stdout.write(
  `${JSON.stringify({ rank: o.rank, params, kernels: currentBackend()?.kernels, steps: c.steps, bareAllReduceMs: bare })}\n`,
);
