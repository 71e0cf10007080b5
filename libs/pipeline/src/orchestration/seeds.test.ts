// Seeds and control: the control variant, the plan it gets, the statistics and the paired gains.
// The runner here returns summaries built from a table of accuracies, so the arithmetic is checked
// against hand-computed values; premise.test.ts (tests/e2e) runs real experiments through it.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyExperiment } from '@noisy/testing';
import { planRun } from '../records/plan.js';
import { printSeedsReport, runSeeds, seedVariant, statOf } from './seeds.js';
import type { RunSummary } from '../report/summary.js';

// top-1 per [seed][generation] for each arm; dev = test - 0.01
const table: Record<string, number[][]> = {
  experiment: [
    [0.8, 0.9, 0.92],
    [0.7, 0.86, 0.9],
  ],
  control: [
    [0.8, 0.82, 0.83],
    [0.7, 0.8, 0.8],
  ],
};
const summary = (arm: string, seed: number, name: string): RunSummary => ({
  runId: `${name}-run`,
  name,
  dataset: 'synthetic',
  datasetId: 'd',
  classes: 4,
  generations: table[arm][seed].map((top1, g) => ({
    generation: g,
    role: g === 0 ? 'teacher' : 'student',
    model: 'cnn-small',
    top1,
    top5: 1,
    ece: 0,
    dev: { top1: top1 - 0.01, top5: 1, ece: 0 },
    labeled: 40,
    pseudoLabeled: arm === 'control' || g === 0 ? 0 : 100,
    parameters: 1,
    replicas: 1,
    seconds: 1,
  })),
});

describe('seeds', () => {
  it('seeds - the control keeps the teacher, students, steps and noise and sets unlabelRatio 0 on students', () => {
    const e = tinyExperiment();
    const c = seedVariant(e, 7, true);
    expect([c.name, c.seed]).toEqual(['tiny-control-s7', 7]);
    expect(c.stages.map((s) => s.train.unlabelRatio)).toEqual([0, 0, 0]);
    expect(c.stages.map((s) => ({ ...s, train: { ...s.train, unlabelRatio: 0 } }))).toEqual(
      e.stages.map((s) => ({ ...s, train: { ...s.train, unlabelRatio: 0 } })),
    );
    expect(Object.isFrozen(c.stages[1].train)).toBe(true);
    expect(seedVariant(e, 7, false).stages.map((s) => s.train.unlabelRatio)).toEqual([0, 2, 2]);
  });

  it('seeds - the plan of a control has no predict or filter phases', () => {
    const names = (control: boolean) =>
      planRun('r', seedVariant(tinyExperiment(), 0, control), 'd', 3).map((p) => p.name);
    expect(names(true)).toEqual(['ingest', 'train', 'evaluate', 'train', 'evaluate', 'train', 'evaluate']);
    expect(names(false).filter((n) => n === 'predict')).toHaveLength(2);
  });

  it('seeds - mean, sample sd, min and max', () => {
    expect(statOf([1, 2, 3, 6])).toEqual({ mean: 3, sd: Math.sqrt(14 / 3), min: 1, max: 6 });
    expect(statOf([5])).toEqual({ mean: 5, sd: 0, min: 5, max: 5 });
  });

  it('seeds - runs every seed and control, then per-generation statistics and paired gains, written as JSON', async () => {
    const seen: string[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'seeds-'));
    const r = await runSeeds({
      experiment: tinyExperiment(),
      seeds: [1, 0],
      control: true,
      parallel: 2,
      runner: async (e, arm) => {
        seen.push(e.name);
        expect(e.seed).toBe(arm.seed);
        return summary(arm.control ? 'control' : 'experiment', arm.seed, e.name);
      },
      out: { dir, name: 'acc' },
    });
    expect(seen.sort()).toEqual(['tiny-control-s0', 'tiny-control-s1', 'tiny-s0', 'tiny-s1']);
    expect(r.experiment.seeds).toEqual([0, 1]);
    expect(r.experiment.generations[2].top1.mean).toBeCloseTo(0.91, 10);
    expect(r.experiment.generations[2].dev!.top1.mean).toBeCloseTo(0.9, 10);
    expect(r.control!.generations[1].top1.mean).toBeCloseTo(0.81, 10);
    // gen 1: +0.08 and +0.06 -> 0.07 ± sqrt(0.0002); gen 2: +0.09, +0.10
    expect(r.gains![0].test).toEqual({ mean: 0, sd: 0, min: 0, max: 0 });
    expect(r.gains![1].test.mean).toBeCloseTo(0.07, 10);
    expect(r.gains![1].test.sd).toBeCloseTo(Math.sqrt(0.0002), 10);
    expect(r.gains![2].dev!.mean).toBeCloseTo(0.095, 10);
    const written = JSON.parse(await readFile(join(dir, 'acc.json'), 'utf8'));
    expect(written.generations[1].top1.mean).toBeCloseTo(0.88, 10); // bench/results/accuracy.json's schema
    expect(written.gains).toHaveLength(3);
    const control = JSON.parse(await readFile(join(dir, 'acc-control.json'), 'utf8'));
    expect(control.control).toBe(true);
    expect(control.generations[2].top1.mean).toBeCloseTo(0.815, 10);
    const lines: string[] = [];
    printSeedsReport(r, (l) => lines.push(l));
    expect(lines[2]).toBe('| gen | role | model | dev | test | control dev | control test | gain dev | gain test |');
    expect(lines[5]).toBe(
      '| 1 | student | cnn-small | 87.00 ± 2.83 | 88.00 ± 2.83 | 80.00 ± 1.41 | 81.00 ± 1.41 | +7.00 ± 1.41 | +7.00 ± 1.41 |',
    );
  });
});
