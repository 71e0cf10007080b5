import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileExperiment, createRng, ModelError } from '@noisy/core';
import { selectBackend } from './backend.js';
import { stockModelFiles, toStockModel } from './export-stock.js';
import type { ImageSet, InputStats } from './input.js';
import { buildModel } from './models/registry.js';
import { predictProbabilities } from './predict.js';

const spec = (name: string) =>
  compileExperiment({ data: { source: { kind: 'synthetic' } }, students: [{}], teacher: { model: { name } } }).stages[0]
    .model;

function images(n: number, shape: [number, number, number], seed: number): ImageSet {
  const rng = createRng(seed);
  const pixels = Uint8Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => Math.floor(rng.next() * 256));
  return { kind: 'image', count: n, shape, pixels };
}

/** Give batch-norm layers non-trivial statistics, so that folding them wrong would show. */
function randomiseBatchNorm(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'NoisyBatchNorm') continue;
    const c = layer.getWeights()[0].shape[0];
    const r = (lo: number, hi: number) => tf.tensor1d(Array.from({ length: c }, () => lo + rng.next() * (hi - lo)));
    const next = [r(0.5, 1.5), r(-0.2, 0.2), r(-0.3, 0.3), r(0.5, 2)];
    layer.setWeights(next);
    tf.dispose(next);
  }
}

const stats: InputStats = { mean: [0.3, 0.4, 0.5], std: [0.2, 0.25, 0.3] };

describe('stock export', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const name of ['cnn-small', 'wrn-28-2', 'efficientnet-b0']) {
    it(`toStockModel - ${name}: stock layers only, raw pixels in, the same probabilities as the trained model`, async () => {
      const model = buildModel(spec(name), { inputShape: [16, 16, 3], classes: 5 }, 3);
      randomiseBatchNorm(model, 4);
      const set = images(2, [16, 16, 3], 5);
      const before = tf.memory().numTensors;
      const stock = toStockModel(model, stats);
      expect(stock.layers.map((l) => l.getClassName()).filter((c) => c.startsWith('Noisy'))).toEqual([]);
      const expected = await predictProbabilities(model, set, stats, 2);
      const raw = tf.tensor4d(Float32Array.from(set.pixels), [2, 16, 16, 3]);
      const out = stock.predict(raw) as tf.Tensor;
      const got = out.dataSync();
      tf.dispose([raw, out]);
      const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i])));
      expect(err).toBeLessThan(1e-5);
      const weights = stock.countParams();
      stock.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // The normalisation layer adds C kernel entries and C biases.
      expect(weights).toBe(model.countParams() + 6);
      model.dispose();
    });
  }

  it('toStockModel - a table model has no stock form: a named error', () => {
    const model = buildModel({ ...spec('cnn-small'), name: 'mlp' }, { inputShape: [4], classes: 3 }, 1);
    expect(() => toStockModel(model, { mean: [0, 0, 0, 0], std: [1, 1, 1, 1] })).toThrow(ModelError);
    model.dispose();
  });

  it('stockModelFiles - plain @tensorflow/tfjs in another process loads the files and predicts the same', async () => {
    const model = buildModel(spec('cnn-small'), { inputShape: [12, 12, 3], classes: 4 }, 7);
    randomiseBatchNorm(model, 8);
    const stock = toStockModel(model, stats);
    const files = await stockModelFiles(stock, { classNames: ['a', 'b', 'c', 'd'] });
    const dir = await mkdtemp(join(tmpdir(), 'stock-'));
    await writeFile(join(dir, 'model.json'), files.modelJson);
    await writeFile(join(dir, 'weights.bin'), files.weights);
    const set = images(3, [12, 12, 3], 9);
    await writeFile(join(dir, 'pixels.bin'), set.pixels);
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { readFileSync } from 'node:fs';
      const dir = process.argv[1];
      const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));
      const w = readFileSync(dir + '/' + json.weightsManifest[0].paths[0]);
      const model = await tf.loadLayersModel({ load: async () => ({
        modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
        weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) }) });
      const px = readFileSync(dir + '/pixels.bin');
      const out = model.predict(tf.tensor4d(Float32Array.from(px), [3, 12, 12, 3]));
      console.log(JSON.stringify(Array.from(out.dataSync())));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dir], {
      cwd: process.cwd(),
    });
    const got = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];
    const expected = await predictProbabilities(model, set, stats, 3);
    expect(got).toHaveLength(12);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    stock.dispose();
    model.dispose();
  });
});
