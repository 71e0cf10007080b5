import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileExperiment, createRng, ModelError } from '@noisy/core';
import { MemoryObjectStore } from '@noisy/platform';
import { selectBackend } from '../backend.js';
import { commitCheckpoint, loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import type { ImageSet } from '../input.js';
import { predictProbabilities } from '../predict.js';
import { trainModel } from '../train/trainer.js';
import { roundFilters } from './efficientnet.js';
import { buildModel } from './registry.js';
import { StochasticDepth } from './stochastic-depth.js';

const spec = (name: string, o: Record<string, unknown> = {}) =>
  compileExperiment({ data: { source: { kind: 'synthetic' } }, students: [{}], teacher: { model: { name, ...o } } })
    .stages[0].model;
const train = (o: Record<string, unknown> = {}) =>
  compileExperiment({
    data: { source: { kind: 'synthetic' } },
    students: [{}],
    train: { epochs: 1, batchSize: 8, learningRate: 0.5, warmupEpochs: 0, ...o },
  }).stages[0];

function dataset(n: number, shape: [number, number, number]): { set: ImageSet; labels: Int32Array } {
  const rng = createRng(1);
  const size = shape[0] * shape[1] * shape[2];
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const pixels = new Uint8Array(n * size).map((_, j) =>
    Math.floor(labels[Math.floor(j / size)] * 120 + rng.next() * 100),
  );
  return { set: { kind: 'image', count: n, shape, pixels }, labels };
}

/** Mean loss of `steps` full-batch steps at a fixed LR, before and after. */
async function lossDrop(
  name: string,
  shape: [number, number, number],
  o: Record<string, unknown> = {},
): Promise<[number, number]> {
  const model = buildModel(spec(name, o), { inputShape: shape, classes: 2 }, 0);
  const { set, labels } = dataset(8, shape);
  const stats = { mean: new Array(shape[2]).fill(0.4), std: new Array(shape[2]).fill(0.3) };
  const stage = train({ steps: 6, decayRate: 1, emaDecay: 0, randAugment: null, padCrop: false });
  const losses: number[] = [];
  await trainModel({
    model,
    labeled: { set, labels },
    unlabeled: null,
    classes: 2,
    stats,
    train: stage.train,
    pseudoLabels: { kind: 'hard' },
    noise: {},
    rng: createRng(0),
    onProgress: (p) => losses.push(p.loss),
  });
  model.dispose();
  return [losses[0], losses.at(-1)!];
}

describe('models on wasm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('models - one short training run lowers the loss of the small CNN', async () => {
    const [first, last] = await lossDrop('cnn-small', [12, 12, 1], { width: 0.5 });
    expect(last).toBeLessThan(first);
  });

  it('models - one short training run lowers the loss of EfficientNet-B0 (small-image variant)', async () => {
    const [first, last] = await lossDrop('efficientnet-b0', [32, 32, 3], { width: 0.25, depth: 0.34 });
    expect(last).toBeLessThan(first);
  }, 300_000);

  it("models - EfficientNet-B0 small-image has the spec's parameter count and stride 8", () => {
    expect([roundFilters(32, 1), roundFilters(1280, 1.1), roundFilters(40, 1.4)]).toEqual([32, 1408, 56]);
    const m = buildModel(spec('efficientnet-b0'), { inputShape: [32, 32, 3], classes: 10 }, 0);
    // The spec counts 4,020,358 trainable parameters for the small-image B0 with 10 classes.
    expect(
      m.countParams() -
        m.nonTrainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y as number), 1), 0),
    ).toBe(4_020_358);
    const head = m.getLayer('head_conv').outputShape as number[];
    expect(head.slice(1, 3)).toEqual([4, 4]);
    m.dispose();
  });

  it('models - WRN-28-2 has 28 layers of 3x3 convs at widths 32, 64, 128', () => {
    const m = buildModel(spec('wrn-28-2'), { inputShape: [32, 32, 3], classes: 10 }, 0);
    const convs = m.layers.filter((l) => l.getClassName() === 'Conv2D' && !l.name.endsWith('_proj'));
    expect(convs).toHaveLength(25); // stem + 12 blocks x 2 (the classifier makes 26 weighted layers + 2 = 28)
    expect((m.getLayer('g2b3_conv2').outputShape as number[])[3]).toBe(128);
    m.dispose();
  });

  it('models - unknown names and tabular inputs to image models fail with a ModelError', () => {
    expect(() =>
      buildModel({ ...spec('cnn-small'), name: 'resnet-50' }, { inputShape: [8, 8, 1], classes: 2 }, 0),
    ).toThrow(ModelError);
    expect(() => buildModel(spec('cnn-small'), { inputShape: [16], classes: 2 }, 0)).toThrow(/tabular/);
  });

  it('stochastic depth - identity at inference, dropped or rescaled in training', () => {
    const sd = new StochasticDepth({ dropRate: 0.5, seed: 1 });
    const shortcut = tf.zeros([64, 2]);
    const residual = tf.ones([64, 2]);
    expect(Array.from((sd.apply([shortcut, residual], { training: false }) as tf.Tensor).dataSync())).toEqual(
      new Array(128).fill(1),
    );
    const trained = Array.from((sd.apply([shortcut, residual], { training: true }) as tf.Tensor).dataSync());
    expect(new Set(trained)).toEqual(new Set([0, 2]));
  });

  it('models - tensors do not grow over repeated train, predict and checkpoint round trips', async () => {
    const { set, labels } = dataset(8, [12, 12, 1]);
    const stats = { mean: [0.4], std: [0.3] };
    const store = new MemoryObjectStore();
    const once = async () => {
      const model = buildModel(spec('cnn-small', { width: 0.25 }), { inputShape: [12, 12, 1], classes: 2 }, 0);
      await trainModel({
        model,
        labeled: { set, labels },
        unlabeled: { set, probabilities: new Float32Array(16).fill(0.5) },
        classes: 2,
        stats,
        train: { ...train().train, steps: 2, unlabelRatio: 1 },
        pseudoLabels: { kind: 'soft', temperature: 1 },
        noise: {},
        rng: createRng(0),
      });
      await predictProbabilities(model, set, stats, 4);
      await saveCheckpoint(store, 'ckpt', model, {
        model: { name: 'cnn-small', width: 0.25, depth: 1 },
        input: { kind: 'image', shape: [12, 12, 1], classes: 2, classNames: ['a', 'b'], stats },
        config: {},
        metrics: {},
        parents: [],
      });
      await commitCheckpoint(store, 'ckpt');
      const loaded = await loadCheckpoint(store, 'ckpt');
      const a = await predictProbabilities(model, set, stats, 4);
      const b = await predictProbabilities(loaded.model, set, stats, 4);
      expect(Array.from(b)).toEqual(Array.from(a));
      loaded.model.dispose();
      model.dispose();
    };
    await once();
    const before = tf.memory().numTensors;
    await once();
    await once();
    expect(tf.memory().numTensors).toBe(before);
  });
});
