// Data-parallel training with real rank processes (2 ranks x 1 thread, Gloo over loopback TCP):
// equivalence with one rank at the same global batch, and a rank killed mid-training (the other
// fails within the collective timeout; the retry resumes from the in-training checkpoint and
// ends where an uninterrupted run ends).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchLocalRanks, loadGloo, type RankExit } from '@noisy/collective';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'tests/e2e/data-parallel/rank.ts');
const base = mkdtempSync(join(tmpdir(), 'dp-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let dirs = 0;
const dir = (name: string) => join(base, `${name}-${dirs++}`);

interface Attempt extends RankExit {
  lines: Array<Record<string, unknown>>;
}

/** One attempt of the step with `size` rank processes, started as the embedded runner would. */
async function attempt(size: number, store: string, out: string, extra: (rank: number) => object = () => ({})) {
  const id = `attempt-${attempts++}`;
  const lines: Array<Array<Record<string, unknown>>> = Array.from({ length: size }, () => []);
  const options = { store, out, steps: 24, everySteps: 4 };
  // Options per rank (dieAt goes to one rank only); each rank picks its entry by NOISY_RANK.
  const perRank = Array.from({ length: size }, (_, r) => ({ ...options, ...extra(r) }));
  const exits = await launchLocalRanks({
    size,
    args: ['--import', 'tsx', SCRIPT, JSON.stringify(perRank)],
    cwd: ROOT,
    env: process.env,
    rendezvousRoot: base,
    id,
    timeoutMs: TIMEOUT_MS,
    joinTimeoutMs: 60_000,
    graceMs: TIMEOUT_MS + 5000,
    onLine: (rank, line) => line.startsWith('{') && lines[rank].push(JSON.parse(line) as Record<string, unknown>),
  });
  return exits.map((e, r): Attempt => ({ ...e, lines: lines[r] }));
}
let attempts = 0;

const TIMEOUT_MS = 8000;
const weightsOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { weights: number[][] }).weights;
const maxDiff = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((w, i) => w.map((v, j) => Math.abs(v - b[i][j]))));

describe.skipIf(loadGloo().addon === null && process.env.NOISY_REQUIRE_GLOO !== '1')('data-parallel training', () => {
  const two = { store: dir('store'), out: dir('two.json') };

  it('data parallel - 2 ranks at batch B/2 each end with the weights of 1 rank at batch B (|diff| <= 1e-5)', async () => {
    const one = { store: dir('store'), out: dir('one.json') };
    const [single, ranks] = await Promise.all([attempt(1, one.store, one.out), attempt(2, two.store, two.out)]);
    for (const r of [...single, ...ranks]) {
      expect(r.code, r.stderrTail + JSON.stringify(r.lines)).toBe(0);
      expect(r.lines.find((l) => l.done)).toMatchObject({ leaked: 0 }); // no tensor outlives training
    }
    const a = weightsOf(one.out),
      b = weightsOf(two.out);
    expect(a.map((w) => w.length)).toEqual(b.map((w) => w.length));
    const diff = maxDiff(a, b);
    expect(diff).toBeLessThanOrEqual(1e-5);
    // The weights moved: equality is not the trivial one of two untrained models.
    expect(Math.max(...a[0].map(Math.abs))).toBeGreaterThan(0);
    console.log(`data parallel: max |w_2ranks - w_1rank| = ${diff.toExponential(2)} after 24 steps`);
  });

  it('data parallel - with batch norm (per-replica statistics) and dropout the ranks stay identical at every checkpoint', async () => {
    const store = dir('store'),
      out = dir('bn.json');
    const ranks = await attempt(2, store, out, () => ({ productMlp: true }));
    // A divergence would fail the checksum comparison at checkpoints 4..20 and at the end.
    for (const r of ranks) {
      expect(r.code, r.stderrTail + JSON.stringify(r.lines)).toBe(0);
      expect(r.lines.filter((l) => l.checkpoint).map((l) => l.checkpoint)).toEqual([4, 8, 12, 16, 20]);
      expect(r.lines.find((l) => l.done)).toMatchObject({ leaked: 0 });
    }
    const w = weightsOf(out);
    expect(w.length).toBeGreaterThan(4); // BN gamma, beta, moving mean and variance are among them
    expect(w.flat().every(Number.isFinite)).toBe(true);
  });

  it('data parallel - a SIGKILLed rank fails the other within the timeout; the retry resumes from the checkpoint', async () => {
    const store = dir('store'),
      out = dir('retry.json');
    const started = Date.now();
    const first = await attempt(2, store, out, (rank) => (rank === 1 ? { dieAt: 10 } : {}));
    expect(first[1].signal).toBe('SIGKILL');
    expect(first[0].code).toBe(3);
    const failure = first[0].lines.find((l) => l.error);
    expect(failure).toMatchObject({ error: 'CollectiveError', retryable: true });
    expect(['IO', 'TIMEOUT']).toContain(failure!.failure);
    expect(first[0].exitedAt - first[1].exitedAt).toBeLessThan(TIMEOUT_MS + 2000);
    expect(first[0].lines.filter((l) => l.checkpoint).map((l) => l.checkpoint)).toEqual([4, 8]);
    const retry = await attempt(2, store, out);
    for (const r of retry) expect(r.code, r.stderrTail + JSON.stringify(r.lines)).toBe(0);
    expect(retry[0].lines.find((l) => l.done)).toMatchObject({ resumedFrom: 8, steps: 16 });
    // Same final weights as the uninterrupted 2-rank run of the test before (same replica count,
    // same settings; run that test first, as vitest does in file order).
    const diff = maxDiff(weightsOf(out), weightsOf(two.out));
    expect(diff).toBe(0); // bit for bit: the same reductions in the same order
    console.log(
      `fault: rank 0 failed ${first[0].exitedAt - first[1].exitedAt} ms after rank 1 died; ` +
        `resumed run vs uninterrupted: max |diff| = ${diff}; total ${Date.now() - started} ms`,
    );
  });
});
