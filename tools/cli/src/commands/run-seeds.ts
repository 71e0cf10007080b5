// noisy run EXP --seeds 0,1,2 [--control]: the experiment once per seed and, with --control, its
// no-pseudo-label control per seed (same students, steps and noise, unlabelRatio 0; predict and
// filter skipped). Prints mean ± sd per generation on dev and test and the paired gain of each
// student over its control, and writes the JSON of bench/results/accuracy.json's schema.
import { basename, dirname, join } from 'node:path';
import { printSeedsReport, runIdFor, runSeeds } from '@noisy/pipeline';
import type { CommandIo } from './io.js';
import { INTERRUPTED_EXIT, RunInterrupted, announceResume, prepareRun, runWithProgress, type RunFlags } from './run.js';

export interface SeedsFlags extends RunFlags {
  seeds: number[];
  control: boolean;
}

/** Where the JSON goes: beside --summary (its name without .json), else <store dir>/seeds/<name>. */
function outputOf(flags: SeedsFlags, storeUrl: string, name: string): { dir: string; name: string } | null {
  if (flags.summary) return { dir: dirname(flags.summary), name: basename(flags.summary).replace(/\.json$/, '') };
  if (storeUrl.startsWith('file://')) return { dir: join(storeUrl.slice('file://'.length), 'seeds'), name };
  return null;
}

export async function runSeedsCommand(file: string, flags: SeedsFlags, io: CommandIo): Promise<number> {
  const { experiment, store } = await prepareRun(file, flags, io);
  const out = outputOf(flags, store.url, experiment.name);
  const report = await runSeeds({
    experiment,
    seeds: flags.seeds,
    control: flags.control,
    out: out ?? undefined,
    runner: async (e, arm) => {
      const runId = runIdFor(e);
      io.err(`noisy: seed ${arm.seed}${arm.control ? ' control' : ''}: run ${runId}\n`);
      await announceResume(store, runId, io);
      return runWithProgress(store, e, runId, flags, io);
    },
  }).catch((err: unknown) => {
    if (!(err instanceof RunInterrupted)) throw err;
    io.err(`\nnoisy: ${err.message} (every seed's finished runs are kept too)\n`);
    return null;
  });
  if (!report) return INTERRUPTED_EXIT;
  io.out('\n');
  printSeedsReport(report, (line) => io.out(`${line}\n`));
  if (out) {
    const files = [`${out.name}.json`, ...(report.control ? [`${out.name}-control.json`] : [])];
    io.out(`\nresults: ${files.map((f) => join(out.dir, f)).join(', ')}\n`);
  } else io.out('\n(give --summary PATH to write the JSON results for a non-file store)\n');
  return 0;
}
