// bench/scaling: per-step time of data-parallel training split into compute, waiting for the
// slower rank, and the all-reduce itself, at 1 rank x 2 threads and 2 ranks x 1 thread (same
// global batch), plus the bare all-reduce time of each model's gradient. Ranks are processes on
// this machine talking Gloo over loopback TCP. Writes bench/results/scaling.json.
//   node --import tsx bench/scaling/run.ts [--models cnn-small,wrn-28-2] [--steps 6] [--warmup 2]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'cnn-small,wrn-28-2' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    note: { type: 'string', default: '' },
    out: { type: 'string', default: 'bench/results/scaling.json' },
  },
});
const shapes: Record<string, [number, number, number]> = {
  'cnn-small': [28, 28, 1],
  'wrn-28-2': [32, 32, 3],
  'efficientnet-b0': [32, 32, 3],
};
const GLOBAL_BATCH = 64;
const base = mkdtempSync(join(tmpdir(), 'scaling-'));

interface RankOut {
  rank: number;
  params: number;
  kernels: string;
  steps: Array<{ computeMs: number; waitMs: number; allReduceMs: number }>;
  bareAllReduceMs: number[];
}

function rankProcess(options: object, threads: number): Promise<RankOut> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/scaling/rank.ts', JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'passive' },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((done, fail) =>
    child.on('exit', (code) =>
      code === 0 ? done(JSON.parse(out.trim().split('\n').at(-1)!) as RankOut) : fail(new Error(`rank exited ${code}`)),
    ),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
try {
  for (const model of values.models.split(',')) {
    for (const [size, threads] of [
      [1, 2],
      [2, 1],
    ]) {
      const rendezvous = join(base, `${model}-${size}`);
      mkdirSync(rendezvous);
      const ranks = await Promise.all(
        Array.from({ length: size }, (_, rank) =>
          rankProcess(
            {
              rank,
              size,
              threads,
              model,
              shape: shapes[model],
              batch: GLOBAL_BATCH,
              steps: Number(values.steps),
              rendezvous,
            },
            threads,
          ),
        ),
      );
      const measured = ranks[0].steps.slice(Number(values.warmup));
      const pick = (k: 'computeMs' | 'waitMs' | 'allReduceMs') => median(measured.map((s) => s[k]));
      const step = median(measured.map((s) => s.computeMs + s.waitMs + s.allReduceMs));
      const row = {
        model,
        ranks: size,
        threadsPerRank: threads,
        globalBatch: GLOBAL_BATCH,
        params: ranks[0].params,
        gradientMB: +((ranks[0].params * 4) / 1e6).toFixed(2),
        stepMs: +step.toFixed(1),
        computeMs: +pick('computeMs').toFixed(1),
        waitMs: +pick('waitMs').toFixed(1),
        allReduceMs: +pick('allReduceMs').toFixed(1),
        allReduceShare: +(pick('allReduceMs') / step).toFixed(4),
        bareAllReduceMs: ranks[0].bareAllReduceMs.length ? +median(ranks[0].bareAllReduceMs).toFixed(2) : null,
        measuredSteps: measured.length,
        kernels: ranks[0].kernels,
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
writeFileSync(
  values.out,
  `${JSON.stringify(
    {
      benchmark: 'scaling',
      date: new Date().toISOString(),
      machine: `${cpus().length} x ${cpus()[0]?.model}`,
      conditions:
        values.note ||
        'measured on a shared build machine (2 cores, several engineers compiling and testing at once): ' +
          'absolute times are noisy; the all-reduce share is the figure to read',
      transport: 'Gloo ring all-reduce over loopback TCP (one host)',
      rows,
    },
    null,
    2,
  )}\n`,
);
