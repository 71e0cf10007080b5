// What an evaluation commits (kind 'evaluation'): test metrics and the dev split's, with the
// schema that checks them when read.
import { z } from 'zod';
import type { Metrics } from '@noisy/ml';
import { count, numbers } from '../records/manifest-schema.js';

/** An evaluation manifest's payload: the test metrics (as before dev existed) and the dev split's. */
export type EvalData = Metrics & { dev: Metrics | null };

const MetricsSchema: z.ZodType<Metrics> = z.object({
  count,
  top1: z.number(),
  top5: z.number(),
  perClass: numbers,
  ece: z.number(),
  confusion: z.array(z.array(count)),
});

// Evaluations written before the dev split existed have no `dev`: read as null.
export const EvalDataSchema: z.ZodType<EvalData> = MetricsSchema.and(
  z.object({ dev: MetricsSchema.nullable().default(null) }),
) as unknown as z.ZodType<EvalData>;
