// A train step with `train.replicas` > 1 runs as a gang of rank processes, one per replica. This
// file is the launcher's side: which launcher starts the ranks (local processes here; the trainer
// service on Kubernetes submits a Job instead, libs/host), how the outcome of a gang becomes the
// step's outcome, and the stage function the worker runs for `train`. The rank's side is
// libs/host/src/rank-main.ts (it opens the store and the collective, then runs trainStage).
import { randomUUID } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchLocalRanks, type RankExit } from '@noisy/collective';
import { ArtifactError, ConfigError, NoisyError } from '@noisy/core';
import { runKeys, type Task } from '@noisy/contracts';
import type { StageContext, StageProgress } from '../records/context.js';
import { isCommitted } from '../records/manifest.js';
import { loadRun } from '../records/run-view.js';
import type { StageFn } from '../stages/registry.js';
import { trainStage } from '../stages/train.js';

type Env = Record<string, string | undefined>;

/** What a rank prints on stdout, one JSON object a line (rank-main.ts writes them). */
export type RankLine = { progress: StageProgress } | { error: string; retryable: boolean };

/** Starts the `replicas` ranks of one attempt of a train task and resolves when all have exited. */
export type GangLauncher = (ctx: StageContext, task: Task, replicas: number) => Promise<RankOutcome[]>;

export interface RankOutcome {
  rank: number;
  ok: boolean;
  /** How it ended, for the error message: 'exit 1', 'SIGKILL', 'pod failed: OOMKilled', ... */
  how: string;
  /** The error the rank reported itself, if it got that far. */
  error?: { message: string; retryable: boolean };
}

/** Some ranks of a train step failed: retryable unless one of them reported a permanent error. */
export class RankFailedError extends NoisyError {
  constructor(
    readonly failedRanks: number[],
    message: string,
    retryable: boolean,
  ) {
    super(message, { retryable });
  }
}

export interface LocalGangOptions {
  /** The rank main (libs/host/src/rank-main.ts), run as `node --import tsx <entry> <task json>`. */
  entry: string;
  /** Working directory of the ranks, where `--import tsx` resolves. @default process.cwd() */
  cwd?: string;
  /** Environment of the ranks (the launcher's own, usually, so that they reach the same store). */
  env: Env;
  /**
   * The URL the launcher opened its store with (an s3:// store's own `url` drops the endpoint
   * and options). @default the store's `url`
   */
  storeUrl?: string;
  /** Per-attempt rendezvous directories go here. @default <tmpdir>/noisy-rendezvous */
  rendezvousRoot?: string;
  /** Collective timeout: a dead or hung rank fails the others within this. @default 120000 */
  timeoutMs?: number;
  /** A rank that has not joined by then is reported by number. @default 300000 */
  joinTimeoutMs?: number;
  /** Threads shared by the ranks (each gets threads / replicas). @default OMP_NUM_THREADS or all cores */
  threads?: number;
}

/** Starts the ranks as processes on this machine (the embedded default and `noisy dev up`). */
export function localGang(o: LocalGangOptions): GangLauncher {
  return async (ctx, task, replicas) => {
    const url = ctx.store.url;
    if (!/^(file|s3):\/\//.test(url))
      throw new ConfigError(
        'train.replicas',
        `the rank processes cannot open the store ${url}; use a file:// or s3:// store, or train.replicas: 1`,
      );
    const env = o.env;
    const threads = o.threads ?? (Number(env.OMP_NUM_THREADS) || availableParallelism());
    const lines = new Map<number, RankLine[]>();
    const exits = await launchLocalRanks({
      size: replicas,
      args: ['--import', 'tsx', o.entry, JSON.stringify(task)],
      cwd: o.cwd,
      env: {
        ...env,
        NOISY_STORE_URL: o.storeUrl ?? url,
        OMP_NUM_THREADS: String(Math.max(1, Math.floor(threads / replicas))),
      },
      rendezvousRoot: o.rendezvousRoot ?? join(tmpdir(), 'noisy-rendezvous'),
      id: `${task.taskId}-${randomUUID().slice(0, 8)}`, // a fresh rendezvous per attempt
      timeoutMs: o.timeoutMs ?? 120_000,
      joinTimeoutMs: o.joinTimeoutMs ?? 300_000,
      onLine: (rank, line) => {
        const parsed = parseRankLine(line);
        if (!parsed) return;
        if ('progress' in parsed) ctx.progress(parsed.progress);
        else lines.set(rank, [...(lines.get(rank) ?? []), parsed]);
      },
    });
    return exits.map((e) => outcomeOf(e, lines.get(e.rank) ?? []));
  };
}

export function parseRankLine(line: string): RankLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as RankLine;
    return 'progress' in v || 'error' in v ? v : null;
  } catch {
    return null;
  }
}

function outcomeOf(e: RankExit, lines: RankLine[]): RankOutcome {
  const reported = lines.findLast((l) => 'error' in l) as { error: string; retryable: boolean } | undefined;
  const how = e.signal ?? `exit ${e.code}`;
  return {
    rank: e.rank,
    ok: e.code === 0,
    how,
    error: reported
      ? { message: reported.error, retryable: reported.retryable }
      : e.code !== 0 && e.stderrTail
        ? { message: e.stderrTail.trim().split('\n').slice(-3).join(' | '), retryable: true }
        : undefined,
  };
}

/**
 * The step's outcome from its ranks': success only when every rank exited cleanly; otherwise an
 * error naming the failed ranks, permanent when a rank reported a permanent error (a bad config
 * stays bad), else retryable (a killed or hung rank: the retry resumes from the in-training checkpoint).
 */
export function gangOutcome(task: Task, outcomes: RankOutcome[]): void {
  const failed = outcomes.filter((o) => !o.ok);
  if (!failed.length) return;
  const permanent = failed.some((o) => o.error && !o.error.retryable);
  const detail = failed.map((o) => `rank ${o.rank} (${o.how}${o.error ? `: ${o.error.message}` : ''})`).join('; ');
  throw new RankFailedError(
    failed.map((o) => o.rank),
    `train step of generation ${task.generation} failed on ${failed.length} of ${outcomes.length} ranks: ${detail}`,
    !permanent,
  );
}

/**
 * The worker's `train` stage: one process when the stage has one replica, else a gang started by
 * `launch`. Without a launcher (a runner that cannot start processes) replicas > 1 is a config error.
 */
export function gangTrainStage(launch: GangLauncher | null): StageFn {
  return async (ctx, task, models) => {
    const run = await loadRun(ctx.store, task.runId);
    const replicas = run.experiment.stages[task.generation].train.replicas;
    if (replicas <= 1) return trainStage(ctx, task, models);
    const key = runKeys.modelManifest(task.runId, task.generation);
    if (await isCommitted(ctx.store, key)) return key;
    const field = task.generation === 0 ? 'teacher.train.replicas' : `students.${task.generation - 1}.train.replicas`;
    if (!launch) throw new ConfigError(field, `${replicas} replicas, but this runner cannot start rank processes`);
    gangOutcome(task, await launch(ctx, task, replicas));
    if (!(await isCommitted(ctx.store, key)))
      throw new ArtifactError(key, 'every rank exited cleanly but rank 0 committed no model manifest', {
        retryable: true,
      });
    return key;
  };
}
