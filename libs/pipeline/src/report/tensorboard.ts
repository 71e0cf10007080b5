// TensorBoard event files of a run, written after it (like the report) from its committed
// evaluations and the generations' training curves:
//   runs/<id>/tensorboard/gen-<g>/   train/loss, train/learning_rate, train/images_per_second per step
//   runs/<id>/tensorboard/generations/   <split>/top1, <split>/top5, <split>/ece per generation
// `tensorboard --logdir <store>/runs/<id>/tensorboard` then overlays the generations' curves.
// File names are fixed by the run (its creation time), so writing again replaces, never duplicates.
import { runKeys } from '@noisy/contracts';
import { encodeEventFile, eventFileName, type ScalarEvent } from '@noisy/data';
import type { ObjectStore } from '@noisy/platform';
import { loadRun } from '../records/run-view.js';
import { readCurve } from '../records/train-curve.js';
import { readManifest } from '../stages/manifests.js';

/** Evaluation splits of a generation as they appear in its evaluation manifest. */
function splitsOf(data: Record<string, unknown>): Array<[string, { top1: number; top5: number; ece: number }]> {
  const out: Array<[string, { top1: number; top5: number; ece: number }]> = [['test', data as never]];
  const dev = data.dev as { top1: number; top5: number; ece: number } | undefined;
  if (dev && typeof dev.top1 === 'number') out.push(['dev', dev]);
  return out;
}

/** Write the run's event files; returns the keys written. */
export async function writeTensorBoard(store: ObjectStore, runId: string): Promise<string[]> {
  const run = await loadRun(store, runId);
  const started = Date.parse(run.createdAt) / 1000;
  const root = runKeys.tensorboard(runId);
  const written: string[] = [];
  const generations: ScalarEvent[] = [];
  for (const stage of run.experiment.stages) {
    const g = stage.generation;
    const evalKey = runKeys.evalManifest(runId, g);
    if (!(await store.head(evalKey))) break;
    const evaluation = (await readManifest(store, evalKey, 'evaluation')).data as unknown as Record<string, unknown>;
    for (const [split, m] of splitsOf(evaluation)) {
      for (const metric of ['top1', 'top5', 'ece'] as const) {
        generations.push({ tag: `${split}/${metric}`, step: g, value: m[metric], wallTime: started + g });
      }
    }
    const curve = await readCurve(store, runId, g);
    if (!curve.length) continue;
    const events: ScalarEvent[] = curve.flatMap((p) => [
      { tag: 'train/loss', step: p.step, value: p.loss, wallTime: p.wallTime },
      { tag: 'train/learning_rate', step: p.step, value: p.lr, wallTime: p.wallTime },
      { tag: 'train/images_per_second', step: p.step, value: p.imagesPerSecond, wallTime: p.wallTime },
    ]);
    const key = `${root}/gen-${g}/${eventFileName(started, `gen-${g}`)}`;
    await store.put(key, encodeEventFile(events, started));
    written.push(key);
  }
  if (generations.length) {
    const key = `${root}/generations/${eventFileName(started, 'generations')}`;
    await store.put(key, encodeEventFile(generations, started));
    written.push(key);
  }
  return written;
}
