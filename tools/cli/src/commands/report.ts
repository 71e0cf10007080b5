// noisy report <run-id> [--out report.html]: (re)build a run's self-contained HTML report and its
// TensorBoard event files.
import { writeFile } from 'node:fs/promises';
import { runKeys } from '@noisy/contracts';
import { buildReport, writeTensorBoard } from '@noisy/pipeline';
import { displayKey } from '../model-arg.js';
import { openStore, requireRun } from '../store.js';
import type { CommandIo } from './io.js';

export async function reportCommand(f: { run: string; store: string; out?: string }, io: CommandIo): Promise<number> {
  const store = await openStore(f.store);
  await requireRun(store, f.run, f.store);
  const html = await buildReport(store, f.run);
  await store.put(runKeys.report(f.run), html);
  if (f.out) await writeFile(f.out, html);
  io.out(`report: ${f.out ?? displayKey(store, runKeys.report(f.run))}\n`);
  if ((await writeTensorBoard(store, f.run)).length)
    io.out(`tensorboard --logdir ${displayKey(store, runKeys.tensorboard(f.run))}\n`);
  return 0;
}
