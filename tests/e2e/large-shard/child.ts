// For the streaming tests (large-shard*.test.ts): a prepared dataset and run in a store, and
// tests/e2e/large-shard/stages.ts run in a child process under a small V8 heap cap, returning the
// memory peaks it reports.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { CompiledExperiment } from '@noisy/core';
import { datasetKeys, runKeys } from '@noisy/contracts';
import { putJson, type ObjectStore } from '@noisy/platform';
import { commitStep, putRecords, readManifest, type DatasetInfo } from '@noisy/pipeline';

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

/** A dataset of one labeled, one unlabeled and one test shard, committed, and a run of it (no ingest). */
export async function commitDatasetAndRun(
  store: ObjectStore,
  o: {
    datasetId: string;
    runId: string;
    experiment: CompiledExperiment;
    records: Record<'labeled' | 'unlabeled' | 'test', Iterable<Uint8Array>>;
    /** What the dataset manifest says of the data besides its parts. */
    info: Pick<DatasetInfo, 'kind' | 'shape' | 'classNames' | 'stats' | 'encoded'>;
  },
): Promise<DatasetInfo> {
  const key = datasetKeys.manifest(o.datasetId);
  await commitStep(store, key, 'dataset', async () => {
    const put = (split: 'labeled' | 'unlabeled' | 'test') =>
      putRecords(store, datasetKeys.shard(o.datasetId, split, 0, 1), o.records[split]);
    const [labeled, unlabeled, test] = [await put('labeled'), await put('unlabeled'), await put('test')];
    return {
      parts: [labeled, unlabeled, test],
      counts: { labeled: labeled.records, unlabeled: unlabeled.records, test: test.records },
      parents: [],
      config: o.experiment.data,
      data: {
        datasetId: o.datasetId,
        name: o.datasetId,
        ...o.info,
        labeled: [labeled],
        unlabeled: [unlabeled],
        test: [test],
      },
    };
  });
  await putJson(store, runKeys.experiment(o.runId), {
    runId: o.runId,
    datasetId: o.datasetId,
    experiment: o.experiment,
    createdAt: new Date().toISOString(),
  });
  return (await readManifest(store, key, 'dataset')).data;
}
