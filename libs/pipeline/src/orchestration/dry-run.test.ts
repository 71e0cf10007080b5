// noisy run --dry-run's plan against what ingest then does on the same source: counts, output
// parts per split (the labeled split's parts too), files read in place, and the tasks per stage.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, compileExperiment, sha256Hex } from '@noisy/core';
import { bytesFeature, encodeExample, encodeJpeg, encodeTFRecords, int64Feature, openSourceParts } from '@noisy/data';
import { MemoryObjectStore } from '@noisy/platform';
import type { StageContext } from '../records/context.js';
import { countSourceParts, planDryRun } from './dry-run.js';
import { datasetIdFor, ingest } from '../stages/ingest.js';
import { readManifest } from '../stages/manifests.js';

let dir = '';
let extra = '';

const record = (i: number, label: number | null) =>
  encodeExample({
    'image/encoded': bytesFeature(
      encodeJpeg({ height: 70, width: 80, channels: 3, data: new Uint8Array(70 * 80 * 3).fill(i % 256) }, 80),
    ),
    ...(label === null ? {} : { 'image/class/label': int64Feature(label + 1) }),
  });
const file = (n: number, from: number, labeled: boolean) =>
  encodeTFRecords(Array.from({ length: n }, (_, k) => record(from + k, labeled ? (from + k) % 3 : null)));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dry-run-'));
  extra = await mkdtemp(join(tmpdir(), 'dry-run-extra-'));
  for (let k = 0; k < 3; k++) await writeFile(join(dir, `train-0000${k}-of-00003`), file(12, 12 * k, true));
  await writeFile(join(dir, 'validation-00000-of-00001'), file(6, 100, true));
  await writeFile(join(extra, 'extra-00000-of-00001'), file(8, 200, false));
});
afterAll(() => Promise.all([dir, extra].map((d) => rm(d, { recursive: true, force: true }))));

const experiment = (data: Record<string, unknown>, readInPlace = false) =>
  compileExperiment({
    seed: 7,
    data: { source: { kind: 'tfrecord', dir, unlabeled: extra, readInPlace }, ...data },
    students: [{}, {}],
  });

async function planAndIngest(e: ReturnType<typeof experiment>) {
  const source = await openSourceParts(e.data.source, { seed: e.seed, allowDownload: false });
  const plan = planDryRun(e, source, await countSourceParts(e, source));
  const store = new MemoryObjectStore();
  const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
  const m = await readManifest(store, await ingest(ctx, e, datasetIdFor(e, sha256Hex)), 'dataset');
  return { plan, m };
}

const phase = (plan: ReturnType<typeof planDryRun>, name: string, g = 0) =>
  plan.tasks.find((t) => t.phase === name && t.generation === g)?.tasks;

describe('dry run', () => {
  it('planDryRun - counts, parts and tasks match what ingest writes, one unlabeled shard at least per part that has some', async () => {
    // unlabeledShards 1, yet three train parts and the extra file each leave unlabeled records.
    const e = experiment({ labeledPerClass: 2, dev: 3, unlabeledShards: 1 });
    const { plan, m } = await planAndIngest(e);
    expect(plan.counts).toEqual({
      labeled: m.counts.labeled,
      unlabeled: m.counts.unlabeled,
      dev: m.counts.dev,
      test: m.counts.test,
    });
    expect(plan.counts).toEqual({ labeled: 6, unlabeled: 36 - 6 - 3 + 8, dev: 3, test: 6 });
    expect(plan.shards).toEqual({
      labeled: m.data.labeled.length,
      unlabeled: m.data.unlabeled.length,
      dev: m.data.dev!.length,
      test: m.data.test.length,
    });
    expect(plan.shards.unlabeled).toBe(4);
    expect(plan.source).toMatchObject({ train: 36, test: 6, extra: 8, parts: 5, classes: 3 });
    expect(plan.inPlace).toBe(0);
    expect([phase(plan, 'ingest-count'), phase(plan, 'ingest-write'), phase(plan, 'ingest-commit')]).toEqual([5, 5, 1]);
    expect([phase(plan, 'predict', 1), phase(plan, 'filter-output', 1), phase(plan, 'train', 1)]).toEqual([4, 4, 1]);
  });

  it('planDryRun - read in place with labeledPerClass all: every source file is a part of its own, nothing copied', async () => {
    const e = experiment({ labeledPerClass: 'all', unlabeledShards: 8 }, true);
    const { plan, m } = await planAndIngest(e);
    expect(plan.inPlace).toBe([...m.data.labeled, ...m.data.unlabeled, ...m.data.test].filter((p) => p.file).length);
    expect(plan.inPlace).toBe(5);
    expect(plan.shards).toEqual({ labeled: 3, unlabeled: 1, dev: 0, test: 1 });
    expect(plan.counts).toEqual({ labeled: 36, unlabeled: 8, dev: 0, test: 6 });
    expect(phase(plan, 'predict', 2)).toBe(1); // the extra file, whole: one shard whatever unlabeledShards asks
  });

  it('planDryRun - a labeled subset larger than a class is refused before anything runs', async () => {
    const e = experiment({ labeledPerClass: 13 });
    const source = await openSourceParts(e.data.source, { seed: e.seed, allowDownload: false });
    expect(() => planDryRun(e, source, [])).not.toThrow(); // no parts counted: nothing to check yet
    const counts = await countSourceParts(e, source);
    expect(() => planDryRun(e, source, counts)).toThrow(ConfigError);
    expect(() => planDryRun(e, source, counts)).toThrow(/class '0' has only 12 training examples/);
  });
});
