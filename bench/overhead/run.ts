// bench/overhead: the same small run embedded (one process, file store) and distributed (nine
// processes over NATS JetStream and s3rver, started once by `noisy dev up`), interleaved, wall
// times per run, medians and the ratio distributed / embedded. Writes bench/results/overhead.json.
//   npm run bench:overhead -- [--reps 3]
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' } } });
const dir = await mkdtemp(join(tmpdir(), 'overhead-'));
const yaml = `
name: overhead
seed: 11
data: { source: { kind: synthetic, classes: 4, size: 16, train: 2400, test: 400 }, labeledPerClass: 50, unlabeledShards: 4 }
train: { epochs: 10, batchSize: 16, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students: [ { model: { name: cnn-small, width: 0.5 }, train: { unlabelRatio: 2 } } ]
`;
await writeFile(join(dir, 'exp.yaml'), yaml);
const cli = (args: string[], cwd = process.cwd()) => {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['tools/cli/bin/noisy.js', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`noisy ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  return { seconds: (performance.now() - t) / 1000, stdout: r.stdout };
};
const devDir = join(dir, 'dev');
await mkdir(devDir, { recursive: true });
const embedded: number[] = [];
const distributed: number[] = [];
try {
  const up = spawnSync(process.execPath, [join(process.cwd(), 'tools/cli/bin/noisy.js'), 'dev', 'up'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (up.status !== 0) throw new Error(up.stderr);
  const controller = JSON.parse(await readFile(join(dir, '.noisy', 'dev.json'), 'utf8')).controller as string;
  for (let r = 0; r < Number(values.reps); r++) {
    embedded.push(
      cli([
        'run',
        join(dir, 'exp.yaml'),
        '--store',
        join(dir, `embedded-${r}`),
        '--offline',
        '--run-id',
        `overhead-e${r}`,
      ]).seconds,
    );
    distributed.push(
      cli(['run', join(dir, 'exp.yaml'), '--controller', controller, '--run-id', `overhead-d${r}`]).seconds,
    );
    process.stderr.write(
      `rep ${r}: embedded ${embedded.at(-1)!.toFixed(1)} s, distributed ${distributed.at(-1)!.toFixed(1)} s\n`,
    );
  }
} finally {
  spawnSync(process.execPath, [join(process.cwd(), 'tools/cli/bin/noisy.js'), 'dev', 'down'], { cwd: dir });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = {
  date: new Date().toISOString(),
  reps: Number(values.reps),
  embeddedSeconds: embedded,
  distributedSeconds: distributed,
  medianEmbedded: median(embedded),
  medianDistributed: median(distributed),
  ratio: median(distributed) / median(embedded),
};
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/overhead.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `embedded median ${result.medianEmbedded.toFixed(1)} s, distributed median ${result.medianDistributed.toFixed(1)} s, ratio ${result.ratio.toFixed(3)}`,
);
