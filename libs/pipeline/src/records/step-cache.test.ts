import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore } from '@noisy/platform';
import { tinyExperiment } from '@noisy/testing';
import { runEmbedded } from '../orchestration/embedded.js';
import { loadRunView } from './run-view.js';
import { importTeacher } from '../stages/teacher-checkpoint.js';
import { readManifest } from '../stages/manifests.js';

// One student, short training: three runs share one store, as a user's edits of one experiment do.
const student = (epochs: number) => ({
  model: { name: 'cnn-small', width: 0.5 },
  train: { unlabelRatio: 2, epochs, randAugment: { layers: 1, magnitude: 2, extraCutout: false } },
});
const teacher = (epochs: number) => ({ model: { name: 'cnn-small', width: 0.5 }, train: { epochs } });

describe('step cache', () => {
  const store = new MemoryObjectStore();
  const base = { teacher: teacher(6), students: [student(4)] };
  beforeAll(async () => {
    await selectBackend('wasm');
    await runEmbedded({ store, experiment: tinyExperiment(base), runId: 'a' });
  }, 120_000);

  it('step cache - editing the student reuses the teacher, its predictions and the filter, and retrains the student', async () => {
    const b = await runEmbedded({ store, experiment: tinyExperiment({ ...base, students: [student(5)] }), runId: 'b' });
    const teacherA = await readManifest(store, runKeys.modelManifest('a', 0), 'model');
    const teacherB = await readManifest(store, runKeys.modelManifest('b', 0), 'model');
    expect(teacherB.reusedFrom).toBe(runKeys.modelManifest('a', 0));
    expect(teacherB.parts).toEqual(teacherA.parts); // the parts keep run a's keys
    expect(teacherB.timing.seconds).toBeLessThan(teacherA.timing.seconds);
    for (let s = 0; s < 3; s++) {
      const p = await readManifest(store, runKeys.predictionsManifest('b', 1, s, 3), 'predictions');
      expect(p.reusedFrom).toBe(runKeys.predictionsManifest('a', 1, s, 3));
      const f = await readManifest(store, runKeys.filteredManifest('b', 1, s, 3), 'filter-output');
      expect(f.reusedFrom).toBe(runKeys.filteredManifest('a', 1, s, 3));
    }
    const studentB = await readManifest(store, runKeys.modelManifest('b', 1), 'model');
    expect(studentB.reusedFrom).toBeUndefined();
    expect(studentB.parts[0].key.startsWith('runs/b/')).toBe(true);
    expect(studentB.data.epochs).toHaveLength(5);
    // The reused teacher evaluates as run a's did, and its learning curve came along.
    const evalA = await readManifest(store, runKeys.evalManifest('a', 0), 'evaluation');
    expect(b.generations[0].top1).toBe(evalA.data.top1);
    expect(await store.get(runKeys.trainCurve('b', 0))).toEqual(await store.get(runKeys.trainCurve('a', 0)));
  }, 120_000);

  it('step cache - a changed teacher config retrains the teacher and predicts again', async () => {
    await runEmbedded({ store, experiment: tinyExperiment({ ...base, teacher: teacher(5) }), runId: 'c' });
    const teacherC = await readManifest(store, runKeys.modelManifest('c', 0), 'model');
    expect(teacherC.reusedFrom).toBeUndefined();
    expect(teacherC.data.epochs).toHaveLength(5);
    const p = await readManifest(store, runKeys.predictionsManifest('c', 1, 0, 3), 'predictions');
    expect(p.reusedFrom).toBeUndefined();
    expect(p.parts[0].key.startsWith('runs/c/')).toBe(true);
  }, 120_000);

  it('teacher checkpoint - generation 0 is the given checkpoint, not trained, and is still evaluated', async () => {
    const checkpoint = runKeys.model('a', 0);
    const experiment = tinyExperiment({ ...base, teacher: { ...teacher(6), checkpoint }, seed: 4 });
    const d = await runEmbedded({ store, experiment, runId: 'd' });
    const m = await readManifest(store, runKeys.modelManifest('d', 0), 'model');
    const a = await readManifest(store, runKeys.modelManifest('a', 0), 'model');
    expect(m.config).toMatchObject({ checkpoint });
    expect(m.data.steps).toBe(0);
    expect(m.counts.parameters).toBe(a.counts.parameters);
    expect(m.parts.map((p) => p.sha256)).toEqual(a.parts.map((p) => p.sha256));
    expect(m.parts.every((p) => p.key.startsWith('runs/d/gen-0/model/'))).toBe(true);
    // The imported teacher is evaluated as a trained one: measured 1.0 (4 classes, chance 0.25);
    // an untrained or unloaded model would be near chance.
    expect(d.generations[0].top1).toBeGreaterThan(0.9);
  }, 120_000);

  it('teacher checkpoint - a folder on disk is copied with its sha256; one of other classes is a ConfigError', async () => {
    const run = await loadRunView(store, 'a');
    // The committed checkpoint's files, wherever the attempt that committed them put them.
    const committed = (await readManifest(store, runKeys.modelManifest('a', 0), 'model')).parts;
    const keyOf = (f: string) => committed.find((p) => p.key.endsWith(`/${f}`))!.key;
    await mkdir(resolve('test-output'), { recursive: true });
    const dir = join(await mkdtemp(resolve('test-output', 'teacher-')), 'model');
    await mkdir(dir, { recursive: true });
    for (const f of ['meta.json', 'model.json', 'weights.bin'])
      await writeFile(join(dir, f), await store.get(keyOf(f)));
    const fromDisk = await importTeacher(store, { ...run, runId: 'e' } as typeof run, dir);
    expect(fromDisk.parts.map((p) => p.key)).toEqual(
      ['model.json', 'weights.bin', 'meta.json'].map((f) => `runs/e/gen-0/model/${f}`),
    );

    const meta = JSON.parse(new TextDecoder().decode(await store.get(keyOf('meta.json'))));
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...meta, input: { ...meta.input, classes: 3 } }));
    const err = await importTeacher(store, run, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^teacher\.checkpoint: .*predicts 3 classes, the dataset has 4/);
    await expect(importTeacher(store, run, 'runs/nowhere/model')).rejects.toThrow(/teacher\.checkpoint: no checkpoint/);
  });
});
