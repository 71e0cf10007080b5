// noisy runs: the runs in a store, with their state and last accuracy.
import { stat } from 'node:fs/promises';
import { runKeys } from '@noisy/contracts';
import { DEFAULT_STORE } from '../flags.js';
import { getJson } from '@noisy/platform';
import { openStore } from '../store.js';
import type { RunRecord, RunSummary } from '@noisy/pipeline';
import { formatTable, pct } from '../table.js';
import type { CommandIo } from './io.js';

export async function runsCommand(flags: { store: string; json?: boolean }, io: CommandIo): Promise<number> {
  const store = await openStore(flags.store);
  const records = (await store.list('runs/')).filter((k) => /^runs\/[^/]+\/experiment\.json$/.test(k));
  const rows = [];
  for (const key of records) {
    const rec = await getJson<RunRecord>(store, key);
    const summary = (await store.head(runKeys.summary(rec.runId)))
      ? await getJson<RunSummary>(store, runKeys.summary(rec.runId))
      : null;
    const gens = (await store.list(`runs/${rec.runId}/`)).filter((k) =>
      /gen-\d+\/eval\/manifest\.json$/.test(k),
    ).length;
    const last = summary?.generations.at(-1);
    // Numbers stay numbers (for --json); the table formats them.
    rows.push({
      runId: rec.runId,
      created: rec.createdAt,
      state: summary ? 'finished' : 'incomplete',
      evaluated: gens,
      generations: rec.experiment.stages.length,
      top1: last ? last.top1 : null,
    });
  }
  if (flags.json) io.out(`${JSON.stringify(rows, null, 2)}\n`);
  else if (!rows.length) {
    io.out(`no runs in ${store.url}\n`);
    // The default store used to be ./runs (runs in ./runs/runs/<id>): point there rather than look empty.
    if (flags.store === DEFAULT_STORE && (await stat('runs/runs').catch(() => null)))
      io.out(`runs made with the earlier default store are in ./runs: noisy runs --store runs\n`);
  } else
    io.out(
      `${formatTable(
        ['run', 'created', 'state', 'evaluated', 'last top-1'],
        rows.map((r) => [
          r.runId,
          r.created,
          r.state,
          `${r.evaluated}/${r.generations}`,
          r.top1 === null ? '-' : pct(r.top1),
        ]),
      )}\n`,
    );
  return 0;
}
