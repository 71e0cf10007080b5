// noisy runs --compare A B ...: the generations of several runs side by side, top-1 and top-5 per
// generation per run, read from each run's summary.json (or from the controller for cluster runs).
import { ConfigError } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { getJson } from '@noisy/platform';
import type { RunSummary } from '@noisy/pipeline';
import { authOf, connectController, rpc, type AuthFlags } from '../controller-client.js';
import { openStore } from '../store.js';
import { formatTable, pct } from '../table.js';
import type { CommandIo } from './io.js';

export interface ComparedRun {
  runId: string;
  generations: Array<{ generation: number; role: string; model: string; top1: number; top5: number }>;
}

/** One row per generation, one `top-1 / top-5` column per run; '-' where a run has no such generation. */
export function compareTable(runs: ComparedRun[]): string {
  const depth = Math.max(...runs.map((r) => r.generations.length));
  const rows = Array.from({ length: depth }, (_, g) => {
    const role = runs.map((r) => r.generations[g]?.role).find(Boolean) ?? '';
    return [
      g,
      role,
      ...runs.map((r) => {
        const x = r.generations[g];
        return x ? `${pct(x.top1)} / ${pct(x.top5)}` : '-';
      }),
    ];
  });
  return formatTable(['gen', 'role', ...runs.map((r) => r.runId)], rows);
}

async function fromStore(storeUrl: string, runIds: string[]): Promise<ComparedRun[]> {
  const store = await openStore(storeUrl);
  const out: ComparedRun[] = [];
  for (const runId of runIds) {
    const key = runKeys.summary(runId);
    if (!(await store.head(key)))
      throw new ConfigError('--compare', `run '${runId}' has no summary in ${store.url} (unknown or unfinished run)`);
    const s = await getJson<RunSummary>(store, key);
    out.push({ runId, generations: s.generations });
  }
  return out;
}

async function fromController(address: string, auth: AuthFlags, runIds: string[]): Promise<ComparedRun[]> {
  const client = connectController(address, authOf(auth));
  try {
    const out: ComparedRun[] = [];
    for (const runId of runIds) out.push({ runId, generations: (await rpc.getRun(client, runId)).run!.generations });
    return out;
  } finally {
    client.close();
  }
}

export async function compareCommand(
  runIds: string[],
  o: AuthFlags & { store: string; controller?: string; json?: boolean },
  io: CommandIo,
): Promise<number> {
  const runs = o.controller ? await fromController(o.controller, o, runIds) : await fromStore(o.store, runIds);
  if (o.json) io.out(`${JSON.stringify(runs, null, 2)}\n`);
  else io.out(`${compareTable(runs)}\n\ncells: top-1 / top-5 on the test split\n`);
  return 0;
}
