// noisy export --run R --generation g --out set.csv|jsonl [--label-issues [--folds K]
// [--pred-probs p.npy|csv]]: the filtered pseudo-labeled set of a generation (the clean set), or
// the labeled examples whose label is likely wrong by confident learning on K-fold out-of-sample
// probabilities (the noisy instances), and those probabilities for cleanlab.
import { ConfigError } from '@noisy/core';
import { selectBackend } from '@noisy/ml';
import { openStore, requireRun } from '../store.js';
import { exportFiltered, findLabelIssues } from '@noisy/pipeline';
import { writePredProbs } from '../pred-probs-file.js';
import { RowsFile } from '../rows-file.js';
import type { CommandIo } from './io.js';

export interface ExportFlags {
  run: string;
  generation: number;
  out: string;
  store: string;
  labelIssues: boolean;
  minConfidence: number;
  folds: number;
  predProbs?: string;
}

export async function exportCommand(f: ExportFlags, io: CommandIo): Promise<number> {
  if (!Number.isInteger(f.generation) || f.generation < 0)
    throw new ConfigError('--generation', `must be a generation number, got '${f.generation}'`);
  if (f.predProbs && !f.labelIssues) throw new ConfigError('--pred-probs', 'goes with --label-issues');
  if (f.predProbs && !/\.(npy|csv)$/i.test(f.predProbs))
    throw new ConfigError('--pred-probs', `write .npy or .csv, got '${f.predProbs}'`);
  const store = await openStore(f.store);
  await requireRun(store, f.run, f.store);
  const out = new RowsFile(f.out);
  let n = 0;
  await out.writeAll(async () => {
    if (f.labelIssues) {
      await selectBackend('auto');
      const { issues, outOfSample } = await findLabelIssues(store, f.run, f.generation, {
        folds: f.folds,
        minConfidence: f.minConfidence,
        onFold: (k, K) => io.err(`noisy: label issues: training fold ${k + 1}/${K}\n`),
      });
      if (f.predProbs) io.out(`pred_probs -> ${(await writePredProbs(f.predProbs, outOfSample)).join(', ')}\n`);
      for (const r of issues) {
        await out.write({
          ...r,
          confidence: Number(r.confidence.toFixed(6)),
          givenProbability: Number(r.givenProbability.toFixed(6)),
        });
        n++;
      }
    } else {
      if (f.generation < 1)
        throw new ConfigError('--generation', 'the filtered set belongs to a student generation (1 or more)');
      for (const r of await exportFiltered(store, f.run, f.generation)) {
        await out.write({ ...r, confidence: Number(r.confidence.toFixed(6)) });
        n++;
      }
    }
  });
  io.out(`${n} rows -> ${f.out}\n`);
  return 0;
}
