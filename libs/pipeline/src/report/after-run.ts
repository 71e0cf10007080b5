// What is written once a run has finished: the HTML report and the TensorBoard event files. Both
// are views of committed results, so failing to draw them never fails the run: returns why a view
// was not written ("report not written: ..."), or null.
import type { ObjectStore } from '@noisy/platform';
import { writeReport } from './html.js';
import { writeTensorBoard } from './tensorboard.js';

export async function writeRunViews(store: ObjectStore, runId: string): Promise<string | null> {
  const problems: string[] = [];
  for (const [name, write] of [
    ['report', () => writeReport(store, runId)],
    ['tensorboard files', () => writeTensorBoard(store, runId)],
  ] as const) {
    try {
      await write();
    } catch (err) {
      problems.push(`${name} not written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return problems.length ? problems.join('; ') : null;
}
