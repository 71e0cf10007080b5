// bench/accuracy: the full Fashion-MNIST experiment with several seeds, as separate `noisy run`
// processes (two at a time on two cores), then mean and spread per generation.
//   npm run bench:accuracy -- [--seeds 0,1,2] [--parallel 2] [--example examples/fashion-mnist.yaml]
//     [--name accuracy] [--supervised-students]
// --supervised-students is the control: the same students with unlabelRatio 0 (no pseudo-labels),
// so that a gain from self-training is not confused with a gain from a bigger model.
// Seeds whose summary already exists are reused, so the bench can be split and resumed.
// Writes bench/results/<name>.json and prints the markdown table used in docs/results.md.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { readExperimentFile } from '../../tools/cli/src/experiment-file.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    parallel: { type: 'string', default: '2' },
    example: { type: 'string', default: 'examples/fashion-mnist.yaml' },
    name: { type: 'string', default: 'accuracy' },
    'supervised-students': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const out = values.out;
await mkdir(join(out, 'tmp'), { recursive: true });

interface Gen {
  generation: number;
  role: string;
  model: string;
  top1: number;
  top5: number;
  pseudoLabeled: number;
  seconds: number;
}

async function runSeed(seed: number): Promise<{ seed: number; generations: Gen[] }> {
  const exp = (await readExperimentFile(values.example)) as {
    seed: number;
    name: string;
    students: Array<{ train?: Record<string, unknown> }>;
  };
  exp.seed = seed;
  exp.name = `${exp.name}${values['supervised-students'] ? '-control' : ''}-s${seed}`;
  if (values['supervised-students']) for (const s of exp.students) s.train = { ...s.train, unlabelRatio: 0 };
  const file = join(out, 'tmp', `${exp.name}.yaml`);
  await writeFile(file, stringify(exp));
  const summary = join(out, `${values.name}-seed${seed}.json`);
  const done = await readFile(summary, 'utf8').catch(() => null);
  if (done) return { seed, generations: JSON.parse(done).generations }; // finished earlier: reuse
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['tools/cli/bin/noisy.js', 'run', file, '--store', join(out, 'store'), '--summary', summary, '--offline'],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
    child.stderr.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n'))
        if (/^> |epoch \d+ loss|FAILED/.test(l.trim())) process.stderr.write(`[seed ${seed}] ${l.trim()}\n`);
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`seed ${seed}: noisy run exited with ${code}`)),
    );
  });
  process.stderr.write(`[seed ${seed}] done in ${((Date.now() - started) / 60000).toFixed(1)} min\n`);
  return { seed, generations: JSON.parse(await readFile(summary, 'utf8')).generations };
}

const results: Array<{ seed: number; generations: Gen[] }> = [];
const queue = [...seeds];
await Promise.all(
  Array.from({ length: Number(values.parallel) }, async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.push(await runSeed(s));
  }),
);
results.sort((a, b) => a.seed - b.seed);

const stat = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
};
const gens = results[0].generations.map((g, i) => ({
  generation: g.generation,
  role: g.role,
  model: g.model,
  top1: stat(results.map((r) => r.generations[i].top1)),
  top5: stat(results.map((r) => r.generations[i].top5)),
  pseudoLabeled: stat(results.map((r) => r.generations[i].pseudoLabeled)),
  seconds: stat(results.map((r) => r.generations[i].seconds)),
}));
const report = {
  example: values.example,
  supervisedStudents: values['supervised-students'],
  seeds,
  date: new Date().toISOString(),
  perSeed: results,
  generations: gens,
};
await writeFile(join(out, `${values.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
const p = (x: number) => (100 * x).toFixed(2);
console.log('| gen | role | model | top-1 mean ± sd (min-max) | top-5 mean | pseudo-labeled | seconds |');
console.log('|---|---|---|---|---|---|---|');
for (const g of gens)
  console.log(
    `| ${g.generation} | ${g.role} | ${g.model} | ${p(g.top1.mean)} ± ${p(g.top1.sd)} (${p(g.top1.min)}-${p(g.top1.max)}) | ${p(g.top5.mean)} | ${Math.round(g.pseudoLabeled.mean)} | ${Math.round(g.seconds.mean)} |`,
  );
