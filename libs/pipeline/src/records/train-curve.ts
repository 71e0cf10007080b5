// The per-step training curve of a generation: loss, learning rate and images/s as training
// reported them (about twice a second, and at every epoch end). Written beside the checkpoint
// before the model manifest, but not one of its parts: images/s and the sampling depend on wall
// time, and committed manifests must stay identical between reruns. The report and the
// TensorBoard files read it; a run without one (older, or lost) just has no step curves.
import { z } from 'zod';
import { runKeys } from '@noisy/contracts';
import type { ObjectStore } from '@noisy/platform';
import { readValidated } from './read-validated.js';

export interface CurvePoint {
  step: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  /** Seconds since the epoch. */
  wallTime: number;
}

const CurveSchema = z.object({
  points: z.array(
    z.object({ step: z.number(), loss: z.number(), lr: z.number(), imagesPerSecond: z.number(), wallTime: z.number() }),
  ),
});

export class CurveRecorder {
  readonly points: CurvePoint[] = [];
  add(p: Omit<CurvePoint, 'wallTime'>, now = Date.now()): void {
    if (this.points.at(-1)?.step === p.step) this.points.pop();
    this.points.push({ ...p, wallTime: now / 1000 });
  }
  async write(store: ObjectStore, runId: string, g: number): Promise<void> {
    await store.put(runKeys.trainCurve(runId, g), `${JSON.stringify({ points: this.points })}\n`);
  }
}

/** A generation's curve, or [] when it has none. */
export async function readCurve(store: ObjectStore, runId: string, g: number): Promise<CurvePoint[]> {
  const key = runKeys.trainCurve(runId, g);
  if (!(await store.head(key))) return [];
  return (await readValidated(store, key, CurveSchema)).points;
}
