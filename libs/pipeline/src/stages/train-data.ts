// What a training step commits (kind 'model'): its per-epoch curve, counts and input wait, with
// the schema that checks it when read.
import { z } from 'zod';
import { count } from '../records/manifest-schema.js';

export interface TrainData {
  epochs: Array<{ epoch: number; loss: number; lr: number }>;
  steps: number;
  examplesSeen: number;
  labeled: number;
  pseudoLabeled: number;
  /** Input side the model was trained at (datasets of encoded pictures). */
  resolution?: number;
  /** Seconds the training loop waited for input batches (decoding fell behind). */
  inputWaitSeconds?: number;
  /** That wait as a fraction of the training loop's time. */
  inputWaitFraction?: number;
  /** The in-training checkpoint's step the last attempt resumed from (0: from the start). */
  resumedFrom?: number;
}

export const TrainDataSchema: z.ZodType<TrainData> = z.object({
  epochs: z.array(z.object({ epoch: z.number(), loss: z.number(), lr: z.number() })),
  steps: count,
  examplesSeen: count,
  labeled: count,
  pseudoLabeled: count,
  resolution: count.optional(),
  inputWaitSeconds: z.number().min(0).optional(),
  inputWaitFraction: z.number().min(0).max(1).optional(),
  resumedFrom: count.optional(),
});
