// Seeds and a control: run an experiment once per seed and, with `control`, its no-pseudo-label
// control per seed (the same teacher, students, steps and noise, unlabelRatio 0, so predict and
// filter are skipped), then mean ± sd per generation on dev and test and the paired gain of each
// student over its control (same seed, hence the same labeled, dev and test examples).
// `noisy run EXP --seeds 0,1,2 --control` and bench/accuracy use it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledExperiment, CompiledStage } from '@noisy/core';
import type { GenerationSummary, RunSummary } from '../report/summary.js';

export interface Stat {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one seed. */
  sd: number;
  min: number;
  max: number;
}

export interface GenerationStats {
  generation: number;
  role: 'teacher' | 'student';
  model: string;
  top1: Stat;
  top5: Stat;
  /** Dev-split metrics; null when the dataset has no dev split. */
  dev: { top1: Stat; top5: Stat } | null;
  pseudoLabeled: Stat;
  seconds: Stat;
}

/** One arm (the experiment or its control) over every seed: the schema of bench/results/accuracy.json. */
export interface SeedsResult {
  name: string;
  control: boolean;
  seeds: number[];
  date: string;
  perSeed: Array<{ seed: number; runId: string; generations: GenerationSummary[] }>;
  generations: GenerationStats[];
}

/** Paired gain of generation g over its control: per seed (experiment - control), then mean ± sd. */
export interface Gain {
  generation: number;
  test: Stat;
  dev: Stat | null;
}

export interface SeedsReport {
  experiment: SeedsResult;
  control: SeedsResult | null;
  gains: Gain[] | null;
}

/** Runs one compiled experiment to its summary (embedded, a child `noisy run`, a cluster). */
export type SeedRunner = (
  experiment: CompiledExperiment,
  arm: { seed: number; control: boolean },
) => Promise<RunSummary>;

export interface SeedsOptions {
  experiment: CompiledExperiment;
  seeds: number[];
  control: boolean;
  runner: SeedRunner;
  /** Runs in flight at once. @default 1 */
  parallel?: number;
  /** Write `<dir>/<name>.json` (experiment and gains) and `<dir>/<name>-control.json`. */
  out?: { dir: string; name: string };
}

export function statOf(xs: number[]): Stat {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The experiment with another seed, and (control) every student trained without pseudo-labels. */
export function seedVariant(e: CompiledExperiment, seed: number, control: boolean): CompiledExperiment {
  const stages: CompiledStage[] = e.stages.map((s) =>
    control && s.generation > 0 ? { ...s, train: { ...s.train, unlabelRatio: 0 } } : s,
  );
  return deepFreeze({ ...e, name: `${e.name}${control ? '-control' : ''}-s${seed}`, seed, stages });
}

function summarise(name: string, control: boolean, runs: Array<{ seed: number; summary: RunSummary }>): SeedsResult {
  const first = runs[0].summary.generations;
  const at = (i: number) => runs.map((r) => r.summary.generations[i]);
  return {
    name,
    control,
    seeds: runs.map((r) => r.seed),
    date: new Date().toISOString(),
    perSeed: runs.map((r) => ({ seed: r.seed, runId: r.summary.runId, generations: r.summary.generations })),
    generations: first.map((g, i) => ({
      generation: g.generation,
      role: g.role,
      model: g.model,
      top1: statOf(at(i).map((x) => x.top1)),
      top5: statOf(at(i).map((x) => x.top5)),
      dev: at(i).every((x) => x.dev)
        ? { top1: statOf(at(i).map((x) => x.dev!.top1)), top5: statOf(at(i).map((x) => x.dev!.top5)) }
        : null,
      pseudoLabeled: statOf(at(i).map((x) => x.pseudoLabeled)),
      seconds: statOf(at(i).map((x) => x.seconds)),
    })),
  };
}

/** Paired gains, seed by seed, of every generation over the same generation of the control. */
export function pairedGains(experiment: SeedsResult, control: SeedsResult): Gain[] {
  return experiment.generations.map((_, i) => {
    const pairs = experiment.perSeed.map((r) => {
      const c = control.perSeed.find((x) => x.seed === r.seed);
      if (!c) throw new Error(`no control run for seed ${r.seed}`);
      return [r.generations[i], c.generations[i]] as const;
    });
    return {
      generation: experiment.generations[i].generation,
      test: statOf(pairs.map(([a, b]) => a.top1 - b.top1)),
      dev: pairs.every(([a, b]) => a.dev && b.dev) ? statOf(pairs.map(([a, b]) => a.dev!.top1 - b.dev!.top1)) : null,
    };
  });
}

export async function runSeeds(o: SeedsOptions): Promise<SeedsReport> {
  if (!o.seeds.length) throw new Error('runSeeds needs at least one seed');
  const jobs = o.seeds.flatMap((seed) => [{ seed, control: false }, ...(o.control ? [{ seed, control: true }] : [])]);
  const done: Array<{ seed: number; control: boolean; summary: RunSummary }> = [];
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: Math.max(1, o.parallel ?? 1) }, async () => {
      for (let j = queue.shift(); j; j = queue.shift())
        done.push({ ...j, summary: await o.runner(seedVariant(o.experiment, j.seed, j.control), j) });
    }),
  );
  const arm = (control: boolean) => done.filter((d) => d.control === control).sort((a, b) => a.seed - b.seed);
  const experiment = summarise(o.experiment.name, false, arm(false));
  const control = o.control ? summarise(`${o.experiment.name}-control`, true, arm(true)) : null;
  const report: SeedsReport = { experiment, control, gains: control ? pairedGains(experiment, control) : null };
  if (o.out) await writeSeedsReport(report, o.out.dir, o.out.name);
  return report;
}

/** `<name>.json`: the experiment arm plus the gains; `<name>-control.json`: the control arm. */
export async function writeSeedsReport(r: SeedsReport, dir: string, name: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  await writeFile(join(dir, `${name}.json`), json({ ...r.experiment, gains: r.gains }));
  if (r.control) await writeFile(join(dir, `${name}-control.json`), json(r.control));
}

const p = (x: number) => (100 * x).toFixed(2);
const ms = (s: Stat) => `${p(s.mean)} ± ${p(s.sd)}`;
const signed = (s: Stat) => `${s.mean >= 0 ? '+' : ''}${p(s.mean)} ± ${p(s.sd)}`;

/** The markdown table of docs/results.md: mean ± sd per generation, the control and the paired gain. */
export function printSeedsReport(r: SeedsReport, out: (line: string) => void): void {
  const c = r.control;
  out(`${r.experiment.name}: seeds ${r.experiment.seeds.join(', ')} (top-1, mean ± sd, %)`);
  out('');
  const head = ['gen', 'role', 'model', 'dev', 'test'];
  if (c) head.push('control dev', 'control test', 'gain dev', 'gain test');
  out(`| ${head.join(' | ')} |`);
  out(`|${head.map(() => '---').join('|')}|`);
  r.experiment.generations.forEach((g, i) => {
    const row = [String(g.generation), g.role, g.model, g.dev ? ms(g.dev.top1) : '-', ms(g.top1)];
    if (c && r.gains) {
      const cg = c.generations[i];
      const gain = r.gains[i];
      row.push(cg.dev ? ms(cg.dev.top1) : '-', ms(cg.top1), gain.dev ? signed(gain.dev) : '-', signed(gain.test));
    }
    out(`| ${row.join(' | ')} |`);
  });
}
