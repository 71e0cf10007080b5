// Streaming proof for encoded pictures (issue 11): a labeled split and an unlabeled shard of about
// 300 MB of JPEGs each go through the teacher's training, predict, filter (which keeps every
// picture, so the student's pseudo-labeled set is as large) and the student's training, in a
// child process whose V8 heap is capped at 128 MB. Training reads each step's records with ranged
// reads (record-table.ts), so neither split is ever held: the child's ArrayBuffers stay under a
// third of one split and its resident growth under one split (holding either split's
// bytes, as the trainer once did, adds its whole size to both and fails; filter-output once held
// its kept records too). Resident growth has the looser bound because the student's training
// starts two input pools whose worker threads are V8 instances of their own: two idle pools of
// one thread measured +103 MB of RSS, whatever the data. The pictures repeat a few seeded
// 500x375 JPEGs padded to ~200 KB with a comment (COM) segment, which decoders skip: what is
// measured is the bytes held, and the test stays quick because decoding stays cheap.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileExperiment, createRng } from '@noisy/core';
import { indexKeys, runKeys } from '@noisy/contracts';
import { bytesFeature, encodeExample, encodeJpeg, int64Feature } from '@noisy/data';
import { FileObjectStore } from '@noisy/platform';
import { readManifest } from '@noisy/pipeline';
import { commitDatasetAndRun, describeReport, runStagesChild } from './large-shard/child.js';

// The cap catches a shard held in the JS heap (it would need over twice the cap); it is not the
// bound (resident growth and ArrayBuffers are). At 64 MB the child peaked at 62 MB heapUsed, so
// any load on the machine could push V8 over it: 128 MB leaves 2x margin over that peak.
const HEAP_MB = 128;
const SPLIT_BYTES = 300e6;
const [W, H] = [500, 375];
const RUN = 'large-encoded';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Picture j of class k (of 2): the class's half brighter, seeded noise everywhere. */
function picture(k: number, j: number): Uint8Array {
  const rng = createRng(100 * k + j);
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++)
        data[(y * W + x) * 3 + c] = Math.min(255, (x < W / 2 === (k === 0) ? 150 : 60) + rng.int(90));
  return encodeJpeg({ width: W, height: H, channels: 3, data }, 90);
}

function records(n: number, pictures: Uint8Array[][], labeled: boolean): () => Generator<Uint8Array> {
  return function* () {
    for (let i = 0; i < n; i++) {
      const k = i % 2;
      yield encodeExample({
        id: bytesFeature(new TextEncoder().encode(`${labeled ? 'l' : 'u'}-${i}`)),
        'image/encoded': bytesFeature(pictures[k][(i >> 1) % pictures[k].length]),
        ...(labeled ? { 'image/class/label': int64Feature(k + 1) } : {}),
      });
    }
  };
}

describe('large shard of encoded pictures', () => {
  it('large shard - ~300 MB labeled split and ~300 MB unlabeled shard of JPEGs through train, predict, filter and train under a 128 MB heap', async () => {
    dir = await mkdtemp(join(tmpdir(), 'large-encoded-'));
    const store = await new FileObjectStore(join(dir, 'store')).open();
    const pictures = [0, 1].map((k) => [0, 1, 2].map((j) => picture(k, j)));
    const meanBytes = pictures.flat().reduce((a, p) => a + p.length, 0) / 6;
    const n = Math.ceil(SPLIT_BYTES / (meanBytes + 40));
    const experiment = compileExperiment({
      name: RUN,
      seed: 5,
      data: { source: { kind: 'tfrecord', dir: 'unused' }, labeledPerClass: 'all', unlabeledShards: 1 },
      train: { steps: 8, batchSize: 16, learningRate: 0.05, warmupEpochs: 0, randAugment: null },
      teacher: { model: { name: 'cnn-small', width: 0.25, resolution: 32 } },
      students: [{ model: { name: 'cnn-small', width: 0.25, resolution: 32 }, train: { unlabelRatio: 1 } }],
      filter: { mode: 'use-all', minThreshold: 0 },
      predictBatchSize: 64,
    });
    const info = await commitDatasetAndRun(store, {
      datasetId: 'large-encoded',
      runId: RUN,
      experiment,
      records: {
        labeled: records(n, pictures, true)(),
        unlabeled: records(n, pictures, false)(),
        test: records(8, pictures, true)(),
      },
      info: {
        kind: 'image',
        shape: [H, W, 3],
        encoded: true,
        classNames: ['left', 'right'],
        stats: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      },
    });
    const split = Math.min(info.labeled[0].bytes, info.unlabeled[0].bytes);
    expect(split).toBeGreaterThan(2 * HEAP_MB * 2 ** 20);

    const { code, report, stderr } = await runStagesChild(join(dir, 'store'), RUN, HEAP_MB);
    expect({ code, stderr: code === 0 ? '' : stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const r = report!;
    console.log(describeReport(`large encoded splits (${n} pictures each)`, split, HEAP_MB, r));

    // Every labeled picture indexed, every unlabeled one predicted, and the student's
    // pseudo-labeled set as large as the shard (the filter kept all of them).
    const teacher = await readManifest(store, runKeys.modelManifest(RUN, 0), 'model');
    expect(teacher.counts.labeled).toBe(n);
    const filtered = await readManifest(store, runKeys.filteredManifest(RUN, 1, 0, 1), 'filter-output');
    expect(filtered.counts.examples).toBe(n);
    expect(filtered.parts[0].bytes).toBeGreaterThan(split * 0.9);
    // The filter stored its output's record index: the student's training did not read the shard to find them.
    expect(await store.head(indexKeys.part(filtered.parts[0].sha256))).not.toBeNull();
    expect(await store.head(indexKeys.labeled(info.labeled[0].sha256))).not.toBeNull(); // the teacher's scan
    const student = await readManifest(store, runKeys.modelManifest(RUN, 1), 'model');
    expect(student.counts.pseudoLabeled).toBe(filtered.counts.kept);
    expect(student.data.steps).toBe(8);

    // Measured with the 128 MB cap (2 cores, alone): +208 MB resident (two input pools' V8
    // instances among it), 60 MB ArrayBuffers. Holding a split adds its 286 MB to both.
    expect(r.maxRss - r.baseline).toBeLessThan(split);
    expect(r.peak.arrayBuffers).toBeLessThan(split / 3);
  }, 600_000);
});
