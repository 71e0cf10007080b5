// Starting the N rank processes of one train step on this machine (the embedded default and
// `noisy dev up`), and the environment contract between a launcher and its ranks, which the
// Kubernetes gang uses too:
//   NOISY_RANK (or JOB_COMPLETION_INDEX of an Indexed Job), NOISY_WORLD_SIZE,
//   NOISY_RENDEZVOUS = file:<dir> | tcp://<rank-0 host>:<port>, NOISY_RENDEZVOUS_ID (per attempt),
//   NOISY_RANK_ADDRESS (the address peers dial; the pod IP), NOISY_COLLECTIVE_TIMEOUT_MS,
//   NOISY_JOIN_TIMEOUT_MS.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectGloo, type GlooOptions } from './gloo.js';
import type { Collective } from './port.js';
import { SingleRank } from './single.js';

type Env = Record<string, string | undefined>;

/** The rank's collective options from its environment; null when it is a single process (no world size > 1). */
export function glooOptionsFromEnv(env: Env): GlooOptions | null {
  const size = Number(env.NOISY_WORLD_SIZE ?? '1');
  if (!(size > 1)) return null;
  const rank = Number(env.NOISY_RANK ?? env.JOB_COMPLETION_INDEX);
  const spec = env.NOISY_RENDEZVOUS ?? '';
  const tcp = /^tcp:\/\/(.+):(\d+)$/.exec(spec);
  const rendezvous = spec.startsWith('file:')
    ? ({ kind: 'file', dir: spec.slice(5) } as const)
    : tcp
      ? ({ kind: 'tcp', host: tcp[1], port: Number(tcp[2]) } as const)
      : null;
  if (!rendezvous) throw new RangeError(`NOISY_RENDEZVOUS must be file:<dir> or tcp://<host>:<port>, not '${spec}'`);
  const num = (v: string | undefined) => (v ? Number(v) : undefined);
  return {
    rank,
    size,
    rendezvous,
    id: env.NOISY_RENDEZVOUS_ID ?? 'train',
    hostname: env.NOISY_RANK_ADDRESS,
    timeoutMs: num(env.NOISY_COLLECTIVE_TIMEOUT_MS),
    joinTimeoutMs: num(env.NOISY_JOIN_TIMEOUT_MS),
  };
}

/** What a rank process calls first: Gloo when the launcher made it one of several ranks, else SingleRank. */
export async function openCollective(env: Env): Promise<Collective> {
  const o = glooOptionsFromEnv(env);
  return o ? connectGloo(o) : new SingleRank();
}

export interface LocalGangOptions {
  size: number;
  /** Arguments to the node binary, e.g. ['--import', 'tsx', 'path/to/rank-main.ts', '<task json>']. */
  args: string[];
  cwd?: string;
  /** Environment of every rank (the rank variables are added), usually the launcher's process.env. */
  env: Env;
  /** Each attempt gets a fresh rendezvous directory `<root>/<id>` here. */
  rendezvousRoot: string;
  /** Unique per attempt of the step, e.g. `<run>-gen-1-attempt-2`. */
  id: string;
  timeoutMs?: number;
  joinTimeoutMs?: number;
  /** Once one rank failed, the others get this long to fail on their own (their collective errors) before SIGKILL. @default 5000 */
  graceMs?: number;
  /** Each line a rank writes to stdout. */
  onLine?: (rank: number, line: string) => void;
}

export interface RankExit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 4 KB of its stderr, for the error message. */
  stderrTail: string;
  /** Date.now() when it exited. */
  exitedAt: number;
}

/**
 * Starts `size` rank processes and resolves when all have exited (then removes the attempt's
 * rendezvous directory); a failed rank takes the others down after graceMs.
 */
export function launchLocalRanks(o: LocalGangOptions): Promise<RankExit[]> {
  const dir = join(o.rendezvousRoot, o.id.replace(/[^\w.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const exits: Array<RankExit | undefined> = Array.from({ length: o.size }, () => undefined);
  let killer: NodeJS.Timeout | null = null;
  return new Promise((resolve) => {
    const children = Array.from({ length: o.size }, (_, rank) => {
      const child = spawn(process.execPath, o.args, {
        cwd: o.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...o.env,
          NOISY_RANK: String(rank),
          NOISY_WORLD_SIZE: String(o.size),
          NOISY_RENDEZVOUS: `file:${dir}`,
          NOISY_RENDEZVOUS_ID: o.id,
          NOISY_RANK_ADDRESS: '127.0.0.1',
          ...(o.timeoutMs ? { NOISY_COLLECTIVE_TIMEOUT_MS: String(o.timeoutMs) } : {}),
          ...(o.joinTimeoutMs ? { NOISY_JOIN_TIMEOUT_MS: String(o.joinTimeoutMs) } : {}),
        },
      });
      let pending = '',
        stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        const lines = (pending + d.toString()).split('\n');
        pending = lines.pop()!;
        for (const l of lines) o.onLine?.(rank, l);
      });
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
      child.on('exit', (code, signal) => {
        if (pending) o.onLine?.(rank, pending);
        exits[rank] = { rank, code, signal, stderrTail: stderr, exitedAt: Date.now() };
        if (code !== 0 && !killer)
          killer = setTimeout(() => children.forEach((c, r) => exits[r] || c.kill('SIGKILL')), o.graceMs ?? 5000);
        if (exits.every((e) => e !== undefined)) {
          if (killer) clearTimeout(killer);
          rmSync(dir, { recursive: true, force: true }); // the rendezvous is per attempt
          resolve(exits as RankExit[]);
        }
      });
      return child;
    });
  });
}
