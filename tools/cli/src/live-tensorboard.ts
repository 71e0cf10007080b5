// TensorBoard curves while `noisy run` trains (file stores): each training progress event (about
// twice a second) is appended to the generation's event file as loss and images/s, and when an
// evaluation finishes the run's event files are rewritten from its committed manifests (the
// training curve, dev and test top-1 per generation). The live file has the name the final one
// gets (runs/<id>/tensorboard/gen-<g>/events.out.tfevents.<created>.gen-<g>), so the rewrite
// replaces it and `tensorboard --logdir` never shows a curve twice.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runKeys, type ProgressEvent, type RunEvent } from '@noisy/contracts';
import { encodeEventFile, encodeEventRecords, eventFileName, type ScalarEvent } from '@noisy/data';
import { getJson, type ObjectStore } from '@noisy/platform';
import { writeTensorBoard, type RunRecord } from '@noisy/pipeline';

export interface LiveTensorBoard {
  progress(p: ProgressEvent): void;
  run(e: RunEvent): void;
  /** Wait for rewrites in flight. */
  settle(): Promise<void>;
}

const NONE: LiveTensorBoard = { progress: () => undefined, run: () => undefined, settle: async () => undefined };

export function liveTensorBoard(store: ObjectStore, runId: string, onError: (err: unknown) => void): LiveTensorBoard {
  if (!store.url.startsWith('file://')) return NONE; // an S3 object cannot be appended to
  const root = store.url.slice('file://'.length);
  let created: number | null = null;
  let pending: Promise<void> = Promise.resolve();
  let failed = false; // after one failure (a full disk, a read-only folder) say so once and stop
  const startedAt = async () =>
    (created ??= Date.parse((await getJson<RunRecord>(store, runKeys.experiment(runId))).createdAt) / 1000);
  const append = (g: number, started: number, events: ScalarEvent[]) => {
    const file = join(root, runKeys.tensorboard(runId), `gen-${g}`, eventFileName(started, `gen-${g}`));
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, encodeEventFile([], started));
    }
    appendFileSync(file, encodeEventRecords(events));
  };
  const chain = (work: () => Promise<void>) => {
    if (failed) return;
    pending = pending.then(work).catch((err: unknown) => {
      if (failed) return;
      failed = true;
      onError(err);
    });
  };
  return {
    progress(p) {
      if (p.runId !== runId || p.step !== 'train' || p.unit !== 'steps' || p.loss === undefined) return;
      const wallTime = Date.now() / 1000;
      const events: ScalarEvent[] = [{ tag: 'train/loss', step: p.done, value: p.loss, wallTime }];
      if (p.rate !== undefined) events.push({ tag: 'train/images_per_second', step: p.done, value: p.rate, wallTime });
      if (p.inputWaitFraction !== undefined)
        events.push({ tag: 'train/input_wait_fraction', step: p.done, value: p.inputWaitFraction, wallTime });
      chain(async () => append(p.generation, await startedAt(), events));
    },
    run(e) {
      if (e.runId === runId && e.state === 'step-finished' && e.step === 'evaluate')
        chain(async () => void (await writeTensorBoard(store, runId)));
    },
    settle: () => pending,
  };
}
