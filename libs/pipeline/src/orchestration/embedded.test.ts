import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runKeys, type RunEvent } from '@noisy/contracts';
import { decodeEventFile } from '@noisy/data';
import { tinyExperiment } from '@noisy/testing';
import { selectBackend } from '@noisy/ml';
import { MemoryEventBus, MemoryObjectStore, type ObjectStore } from '@noisy/platform';
import { runEmbedded } from './embedded.js';
import { buildReportModel } from '../report/report-model.js';
import { RunManager } from './run-manager.js';
import type { RunSummary } from '../report/summary.js';
import { readManifest } from '../stages/manifests.js';

/** A copy of a store that refuses to write the report (a full disk, a broken renderer). */
async function refusingReport(from: ObjectStore): Promise<ObjectStore> {
  const store = new MemoryObjectStore();
  for (const key of await from.list('')) await store.put(key, await from.get(key));
  const put = store.put.bind(store);
  store.put = async (key, body) => {
    if (key.endsWith('report.html')) throw new Error('disk full');
    return put(key, body);
  };
  return store;
}

describe('embedded run', () => {
  const experiment = tinyExperiment();
  const store = new MemoryObjectStore();
  let summary: RunSummary;
  let tensorsBefore = 0;
  beforeAll(async () => {
    await selectBackend('wasm');
    tensorsBefore = tf.memory().numTensors;
    summary = await runEmbedded({ store, experiment });
  }, 240_000);

  it('embedded run - teacher and two students commit every manifest and beat chance', async () => {
    expect(summary.generations.map((g) => g.role)).toEqual(['teacher', 'student', 'student']);
    for (const g of summary.generations) expect(g.top1).toBeGreaterThan(0.8); // chance is 0.25
    expect(summary.generations[1].pseudoLabeled).toBeGreaterThan(0);
    const keys = await store.list(`runs/${summary.runId}/`);
    for (const g of [1, 2]) {
      expect(
        keys.filter((k) => k.startsWith(`runs/${summary.runId}/gen-${g}/predictions/`) && k.endsWith('.manifest.json')),
      ).toHaveLength(3);
      expect(keys).toContain(`runs/${summary.runId}/gen-${g}/filter/thresholds.manifest.json`);
    }
    expect(keys).toContain(`runs/${summary.runId}/summary.json`);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('embedded run - TensorBoard event files beside the run: per-step curves per generation, top-1/top-5/ECE per generation', async () => {
    const { runId } = summary;
    const keys = (await store.list(`${runKeys.tensorboard(runId)}/`)).sort();
    expect(keys.map((k) => k.split('/').slice(3, 4)[0])).toEqual(['gen-0', 'gen-1', 'gen-2', 'generations']);
    for (const key of keys) expect(key.split('/').at(-1)).toMatch(/^events\.out\.tfevents\.\d+\./);
    for (const g of [0, 1, 2]) {
      const { version, scalars } = decodeEventFile(await store.get(keys[g]), keys[g]);
      expect(version).toBe('brain.Event:2');
      const loss = scalars.filter((e) => e.tag === 'train/loss');
      const model = await readManifest(store, runKeys.modelManifest(runId, g), 'model');
      expect(loss.length).toBeGreaterThan(0);
      // The last step reports (steps counted from 0 or 1).
      expect(loss.at(-1)!.step).toBeGreaterThanOrEqual(model.data.steps - 1);
      expect(loss.at(-1)!.step).toBeLessThanOrEqual(model.data.steps);
      expect(loss.every((e, i) => i === 0 || e.step > loss[i - 1].step)).toBe(true);
      expect(scalars.filter((e) => e.tag === 'train/learning_rate')).toHaveLength(loss.length);
      expect(scalars.filter((e) => e.tag === 'train/images_per_second').every((e) => e.value > 0)).toBe(true);
    }
    const { scalars } = decodeEventFile(await store.get(keys[3]), keys[3]);
    const top1 = scalars.filter((e) => e.tag === 'test/top1');
    expect(top1.map((e) => e.step)).toEqual([0, 1, 2]);
    expect(top1.map((e) => e.value)).toEqual(summary.generations.map((g) => Math.fround(g.top1)));
    expect(scalars.filter((e) => e.tag === 'test/ece')).toHaveLength(3);
  });

  it('embedded run - the report is written after the run, its model built from the committed manifests', async () => {
    const { runId } = summary;
    expect(new TextDecoder().decode(await store.get(runKeys.report(runId)))).toMatch(/^<!doctype html>/);
    const m = await buildReportModel(store, runId);
    expect(m.generations.map((g) => g.top1)).toEqual(summary.generations.map((g) => g.top1));
    expect(m.pseudoLabels.map((p) => p.generation)).toEqual([1, 2]);
    for (const p of m.pseudoLabels) {
      const outputs = await Promise.all(
        [0, 1, 2].map((s) => readManifest(store, runKeys.filteredManifest(runId, p.generation, s, 3), 'filter-output')),
      );
      expect(p.keptPerClass.reduce((a, b) => a + b, 0)).toBe(outputs.reduce((a, o) => a + o.counts.kept, 0));
      expect(p.confidence.reduce((a, b) => a + b, 0)).toBe(200); // every unlabeled image once
      expect(p.predictedPerClass.reduce((a, b) => a + b, 0)).toBe(200);
      for (const t of p.thresholdPerClass) expect(t).toBeGreaterThanOrEqual(experiment.filter.minThreshold);
      expect(p.samples.length).toBeGreaterThan(0);
    }
    expect(m.lineage[0]).toMatchObject({ kind: 'dataset', parents: [] });
    expect(m.lineage.find((l) => l.key === runKeys.modelManifest(runId, 1))?.parents).toContain(
      runKeys.filteredManifest(runId, 1, 0, 3),
    );
  });

  it('embedded run - a report that cannot be written does not fail the run, and says why', async () => {
    const events: RunEvent[] = [];
    const again = await runEmbedded({
      store: await refusingReport(store),
      experiment,
      onRunEvent: (e) => events.push(e),
    });
    expect(again.generations).toEqual(summary.generations);
    expect(events.map((e) => e.message)).toContain('report not written: disk full');

    const runs = new RunManager({ store: await refusingReport(store), bus: new MemoryEventBus() });
    await runs.resume(summary.runId);
    await runs.settled(summary.runId);
    expect(await runs.get(summary.runId)).toMatchObject({
      state: 'finished',
      message: 'finished; report not written: disk full',
    });
  });
});

describe('online mode', () => {
  it('embedded run - online mode: the teacher labels batches inside training, no stored predictions', async () => {
    await selectBackend('wasm');
    const store = new MemoryObjectStore();
    const summary = await runEmbedded({
      store,
      experiment: tinyExperiment({
        mode: 'online',
        students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 2 } }],
      }),
    });
    expect(summary.generations[1].top1).toBeGreaterThan(0.8);
    expect(summary.generations[1].pseudoLabeled).toBe(200); // every unlabeled image, unfiltered
    expect(await store.list(`runs/${summary.runId}/gen-1/predictions/`)).toEqual([]);
    expect(await store.head(runKeys.report(summary.runId))).not.toBeNull();
  });
});
