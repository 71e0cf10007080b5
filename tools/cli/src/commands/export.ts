// noisy export --run R --generation g --out set.csv|jsonl [--label-issues]: the filtered
// pseudo-labeled set of a generation (the clean set), or the labeled examples that generation's
// model confidently contradicts (the noisy instances).
import { ConfigError } from '@noisy/core';
import { selectBackend } from '@noisy/ml';
import { openStore } from '../store.js';
import { ModelCache, exportFiltered, findLabelIssues } from '@noisy/pipeline';
import { RowsFile } from '../rows-file.js';
import type { CommandIo } from './io.js';

export interface ExportFlags {
  run: string;
  generation: number;
  out: string;
  store: string;
  labelIssues: boolean;
  minConfidence: number;
}

export async function exportCommand(f: ExportFlags, io: CommandIo): Promise<number> {
  if (!Number.isInteger(f.generation) || f.generation < 0)
    throw new ConfigError('--generation', `must be a generation number, got '${f.generation}'`);
  const store = await openStore(f.store);
  const out = new RowsFile(f.out);
  let n = 0;
  await out.writeAll(async () => {
    if (f.labelIssues) {
      await selectBackend('auto');
      const models = new ModelCache();
      for (const r of await findLabelIssues(store, f.run, f.generation, models, f.minConfidence)) {
        await out.write({
          ...r,
          confidence: Number(r.confidence.toFixed(6)),
          givenProbability: Number(r.givenProbability.toFixed(6)),
        });
        n++;
      }
      models.clear();
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
