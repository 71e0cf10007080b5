// The labeled split as a list of parts, through training and evaluation: raw pixels from an image
// folder (one labeled part per class folder, packed one after another), and encoded pictures
// whose source train-* files are the labeled parts, read in place (nothing copied; a file changed
// afterwards fails the next run that reads it, naming the file).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileExperiment } from '@noisy/core';
import { datasetKeys, runKeys } from '@noisy/contracts';
import {
  bytesFeature,
  encodeExample,
  encodeJpeg,
  encodePng,
  encodeTFRecords,
  int64Feature,
  openSynthetic,
} from '@noisy/data';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore } from '@noisy/platform';
import { runEmbedded } from '../orchestration/embedded.js';
import { readManifest } from '../stages/manifests.js';

const dirs: string[] = [];
beforeAll(() => selectBackend('wasm'));
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const budget = {
  train: { steps: 40, batchSize: 8, learningRate: 0.3, warmupEpochs: 0, randAugment: null, padCrop: false },
  teacher: { model: { name: 'cnn-small', width: 0.5 } },
  students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { steps: 4, unlabelRatio: 1, randAugment: null } }],
};

describe('labeled split in parts', () => {
  it('train - a labeled split of one part per class folder trains and evaluates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lab-parts-'));
    dirs.push(dir);
    const src = openSynthetic({ classes: 4, size: 12, channels: 3, train: 160, test: 40, seed: 6 });
    for (const [split, s] of [
      ['train', src.train],
      ['test', src.test],
    ] as const)
      for (let i = 0; i < s.count; i++) {
        const x = await s.get(i);
        await mkdir(join(dir, split, `c${x.label}`), { recursive: true });
        await writeFile(join(dir, split, `c${x.label}`, `${i}.png`), encodePng(x.image!));
      }
    const store = new MemoryObjectStore();
    const e = compileExperiment({
      name: 'lab-parts',
      seed: 4,
      data: {
        source: { kind: 'image-folder', train: join(dir, 'train'), test: join(dir, 'test') },
        labeledPerClass: 10,
        unlabeledShards: 2,
      },
      ...budget,
    });
    const summary = await runEmbedded({ store, experiment: e });
    const m = await readManifest(store, datasetKeys.manifest(summary.datasetId), 'dataset');
    expect(m.data.labeled).toHaveLength(4); // one per class folder, not joined
    expect(m.data.labeled.map((p) => p.records)).toEqual([10, 10, 10, 10]);
    expect(summary.generations.map((g) => g.labeled)).toEqual([40, 40]);
    expect(summary.generations[0].top1).toBeGreaterThan(0.5); // chance is 0.25
    const evaluation = await readManifest(store, runKeys.evalManifest(summary.runId, 0), 'evaluation');
    expect(evaluation.data.count).toBe(40);
  }, 240_000);

  it('train - train files read in place are the labeled parts (no copy); one changed fails the next run, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lab-in-place-'));
    dirs.push(dir);
    const record = (i: number, label: number) => {
      const data = new Uint8Array(40 * 48 * 3).map((_, k) => ((k % 3 === label ? 200 : 40) + i) % 256);
      return encodeExample({
        'image/encoded': bytesFeature(encodeJpeg({ height: 40, width: 48, channels: 3, data }, 90)),
        'image/class/label': int64Feature(label + 1),
      });
    };
    const file = (from: number, n: number) =>
      encodeTFRecords(Array.from({ length: n }, (_, k) => record(from + k, (from + k) % 3)));
    const train = [0, 1].map((k) => join(dir, `train-0000${k}-of-00002`));
    await writeFile(train[0], file(0, 12));
    await writeFile(train[1], file(12, 12));
    await writeFile(join(dir, 'validation-00000-of-00001'), file(100, 9));
    const store = new MemoryObjectStore();
    const raw = {
      name: 'lab-in-place',
      seed: 4,
      data: { source: { kind: 'tfrecord', dir, readInPlace: true, pictures: 'encoded' }, labeledPerClass: 'all' },
      ...budget,
      teacher: { model: { name: 'cnn-small', width: 0.5, resolution: 32 } },
      students: [{ model: { name: 'cnn-small', width: 0.5, resolution: 32 }, train: { steps: 2, unlabelRatio: 0 } }],
    };
    const e = compileExperiment(raw);
    const summary = await runEmbedded({ store, experiment: e });
    const m = await readManifest(store, datasetKeys.manifest(summary.datasetId), 'dataset');
    expect(m.data.labeled).toMatchObject(train.map((f) => ({ key: f, file: f, records: 12 })));
    expect((await store.list('datasets/')).filter((k) => k.includes('labeled'))).toEqual([]);
    expect(summary.generations.map((g) => g.labeled)).toEqual([24, 24]);
    const evaluation = await readManifest(store, runKeys.evalManifest(summary.runId, 0), 'evaluation');
    expect(evaluation.data.count).toBe(9);

    const original = await readFile(train[1]);
    const changed = Uint8Array.from(original);
    changed[changed.length - 30] ^= 0xff;
    await writeFile(train[1], changed);
    // Another budget: the same dataset, but no trained step to reuse, so training reads the files again.
    const again = compileExperiment({ ...raw, train: { ...budget.train, steps: 30 } });
    expect(again.data).toEqual(e.data);
    try {
      const err = await runEmbedded({ store, experiment: again, runId: 'after-change' }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain(`${train[1]}: changed since ingest read it in place`);
    } finally {
      await writeFile(train[1], original);
    }
  }, 240_000);
});
