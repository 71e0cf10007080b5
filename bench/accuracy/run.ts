// bench/accuracy: an experiment over several seeds and, with --control, its no-pseudo-label
// control (the same students, steps and noise, unlabelRatio 0), through runSeeds: mean ± sd per
// generation on dev and test, and the paired gain of each student over its control. Each run is a
// separate `noisy run` process (two at a time on two cores).
//   npm run bench:accuracy -- [--seeds 0,1,2] [--parallel 2] [--example examples/fashion-mnist.yaml]
//     [--name accuracy] [--control] [--out bench/results]
// A run whose per-seed summary already exists is reused, so the bench can be split and resumed.
// Writes bench/results/<name>.json (+ <name>-control.json) and prints the table of docs/results.md.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { compileExperiment, type CompiledExperiment } from '@noisy/core';
import { printSeedsReport, runSeeds, type RunSummary } from '@noisy/pipeline';
import { readExperimentFile } from '../../tools/cli/src/experiment-file.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    parallel: { type: 'string', default: '2' },
    example: { type: 'string', default: 'examples/fashion-mnist.yaml' },
    name: { type: 'string', default: 'accuracy' },
    control: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
  },
});
const out = values.out;
await mkdir(join(out, 'tmp'), { recursive: true });

/** The compiled experiment as an experiment file: every stage spelled out, so it compiles back to itself. */
function experimentFile(e: CompiledExperiment): unknown {
  const stage = (g: number) => ({ model: e.stages[g].model, train: e.stages[g].train });
  return {
    name: e.name,
    seed: e.seed,
    backend: e.backend,
    data: e.data,
    teacher: stage(0),
    students: e.stages.slice(1).map((s) => stage(s.generation)),
    filter: e.filter,
    pseudoLabels: e.pseudoLabels,
    mode: e.mode,
    predictBatchSize: e.predictBatchSize,
  };
}

async function runChild(e: CompiledExperiment, arm: { seed: number; control: boolean }): Promise<RunSummary> {
  const summary = join(out, `${values.name}${arm.control ? '-control' : ''}-seed${arm.seed}.json`);
  const done = await readFile(summary, 'utf8').catch(() => null);
  if (done) return JSON.parse(done) as RunSummary; // finished earlier: reuse
  const file = join(out, 'tmp', `${e.name}.yaml`);
  await writeFile(file, stringify(experimentFile(e)));
  const tag = `[${arm.control ? 'control ' : ''}seed ${arm.seed}]`;
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['tools/cli/bin/noisy.js', 'run', file, '--store', join(out, 'store'), '--summary', summary, '--offline'],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
    child.stderr.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n'))
        if (/^> |epoch \d+ loss|FAILED/.test(l.trim())) process.stderr.write(`${tag} ${l.trim()}\n`);
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tag} noisy run exited with ${code}`))));
  });
  process.stderr.write(`${tag} done in ${((Date.now() - started) / 60000).toFixed(1)} min\n`);
  return JSON.parse(await readFile(summary, 'utf8')) as RunSummary;
}

const report = await runSeeds({
  experiment: compileExperiment(await readExperimentFile(values.example)),
  seeds: values.seeds.split(',').map(Number),
  control: values.control,
  parallel: Number(values.parallel),
  runner: runChild,
  out: { dir: out, name: values.name },
});
printSeedsReport(report, (line) => console.log(line));
