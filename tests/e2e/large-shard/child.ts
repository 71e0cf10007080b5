// Runs tests/e2e/large-shard/stages.ts in a child process under a small V8 heap cap and returns the
// memory peaks it reports (see the streaming tests large-shard*.test.ts for the bounds).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(ROOT, 'tests/e2e/large-shard/stages.ts');

export interface ChildReport {
  baseline: number;
  peak: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  maxRss: number;
  seconds: Record<string, number>;
  perStep: Record<string, { rssMb: number; arrayBuffersMb: number }>;
}

export function runStagesChild(
  storeDir: string,
  runId: string,
  heapMb: number,
): Promise<{ code: number | null; report?: ChildReport; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${heapMb}`, '--import', 'tsx', SCRIPT, storeDir, runId],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      done({ code, report: line ? (JSON.parse(line) as ChildReport) : undefined, stderr });
    });
  });
}

/** One line for the test log: the shard, the cap and the child's peaks. */
export function describeReport(what: string, shardBytes: number, heapMb: number, r: ChildReport): string {
  const MB = (b: number) => Math.round(b / 2 ** 20);
  return (
    `${what}: ${MB(shardBytes)} MB; child heap cap ${heapMb} MB; ` +
    `RSS baseline ${MB(r.baseline)} MB, peak ${MB(r.maxRss)} MB (+${MB(r.maxRss - r.baseline)}); ` +
    `peak heapUsed ${MB(r.peak.heapUsed)} MB, external ${MB(r.peak.external)} MB, ` +
    `arrayBuffers ${MB(r.peak.arrayBuffers)} MB; seconds ${JSON.stringify(r.seconds)}; ` +
    `peaks per step ${JSON.stringify(r.perStep)}`
  );
}
