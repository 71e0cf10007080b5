// noisy report --run R [--out report.html]: (re)build a run's self-contained HTML report.
import { writeFile } from 'node:fs/promises';
import { runKeys } from '@noisy/contracts';
import { buildReport } from '@noisy/pipeline';
import { openStore } from '../store.js';
import type { CommandIo } from './io.js';

export async function reportCommand(f: { run: string; store: string; out?: string }, io: CommandIo): Promise<number> {
  const store = await openStore(f.store);
  const html = await buildReport(store, f.run);
  await store.put(runKeys.report(f.run), html);
  if (f.out) await writeFile(f.out, html);
  io.out(`report: ${f.out ?? `${store.url}/${runKeys.report(f.run)}`}\n`);
  return 0;
}
