// noisy status / watch <run-id> for a run in a local store (no --controller): what the store says
// of it. An embedded run has no controller to ask, so its state is read from what it committed:
// finished (a summary), failed (a task's durable failure marker), or incomplete (run the same
// command again to resume), with every generation evaluated so far.
import { runKeys } from '@noisy/contracts';
import { getJson, type ObjectStore } from '@noisy/platform';
import { loadRun, readFailure, readManifest, type RunSummary } from '@noisy/pipeline';
import { openStore, requireRun } from '../store.js';
import { formatTable, pct } from '../table.js';
import type { CommandIo } from './io.js';

export interface LocalRunStatus {
  runId: string;
  state: 'finished' | 'failed' | 'incomplete';
  message: string;
  /** Manifests the run has committed (its steps done so far). */
  committed: number;
  generations: Array<{ generation: number; role: string; top1: number; dev: number | null }>;
  best: number | null;
}

export async function localRunStatus(store: ObjectStore, runId: string): Promise<LocalRunStatus> {
  const run = await loadRun(store, runId);
  const keys = await store.list(`runs/${runId}/`);
  const committed = keys.filter((k) => /manifest\.json$/.test(k)).length;
  const generations: LocalRunStatus['generations'] = [];
  for (const stage of run.experiment.stages) {
    const key = runKeys.evalManifest(runId, stage.generation);
    if (!(await store.head(key))) break;
    const m = (await readManifest(store, key, 'evaluation')).data;
    generations.push({ generation: stage.generation, role: stage.role, top1: m.top1, dev: m.dev?.top1 ?? null });
  }
  if (await store.head(runKeys.summary(runId))) {
    const summary = await getJson<RunSummary>(store, runKeys.summary(runId));
    return { runId, state: 'finished', message: '', committed, generations, best: summary.best ?? null };
  }
  for (const key of keys.filter((k) => k.startsWith(`runs/${runId}/failures/`))) {
    // The marker names its task; read it through readFailure, which checks it is this run's.
    const { taskId } = await getJson<{ taskId?: string }>(store, key);
    const failure = typeof taskId === 'string' ? await readFailure(store, runId, taskId) : null;
    if (failure) {
      const message = `task ${taskId} failed: ${failure.error}; running the experiment again retries it`;
      return { runId, state: 'failed', message, committed, generations, best: null };
    }
  }
  return {
    runId,
    state: 'incomplete',
    message: 'not finished (running, or stopped): run the same command again to resume',
    committed,
    generations,
    best: null,
  };
}

function print(s: LocalRunStatus, io: CommandIo): void {
  io.out(`${s.runId}: ${s.state}${s.message ? ` (${s.message})` : ''}; ${s.committed} steps committed\n`);
  if (s.generations.length)
    io.out(
      `\n${formatTable(
        ['gen', 'role', 'dev top-1', 'top-1'],
        s.generations.map((g) => [
          `${g.generation}${g.generation === s.best ? ' *' : ''}`,
          g.role,
          g.dev === null ? '-' : pct(g.dev),
          pct(g.top1),
        ]),
      )}\n${s.best !== null ? '(* best on dev)\n' : ''}`,
    );
}

export async function localStatus(runId: string, o: { store: string; json?: boolean }, io: CommandIo): Promise<number> {
  const store = await openStore(o.store);
  await requireRun(store, runId, o.store);
  const s = await localRunStatus(store, runId);
  if (o.json) io.out(`${JSON.stringify(s, null, 2)}\n`);
  else print(s, io);
  return 0;
}

/** Follow a local run until it finishes or fails, a line whenever it commits more. */
export async function localWatch(
  runId: string,
  o: { store: string; pollMs?: number; timeoutMs?: number },
  io: CommandIo,
): Promise<number> {
  const store = await openStore(o.store);
  await requireRun(store, runId, o.store);
  const end = Date.now() + (o.timeoutMs ?? Number.POSITIVE_INFINITY);
  let seen = -1;
  for (;;) {
    const s = await localRunStatus(store, runId);
    if (s.committed !== seen || s.state !== 'incomplete') {
      seen = s.committed;
      if (s.state !== 'incomplete') {
        print(s, io);
        return s.state === 'finished' ? 0 : 1;
      }
      io.err(`${runId}: ${s.committed} steps committed, ${s.generations.length} generation(s) evaluated\n`);
    }
    if (Date.now() > end) {
      print(s, io);
      return 1;
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
  }
}
