// What the filter's steps commit (kinds 'filter-stats', 'filter-thresholds', 'filter-output'):
// the balancing's histogram and thresholds (analysis/balance.ts computes them) and the output's
// per-class counts, with the schemas that check them when read.
import { z } from 'zod';
import type { ShardStats, Thresholds } from '../analysis/balance.js';
import { count } from '../records/manifest-schema.js';

export interface FilterOutputData {
  keptPerClass: number[];
  uniquePerClass: number[];
}

const Ranked = z.object({ p: z.number(), id: z.string() });

export const ShardStatsSchema: z.ZodType<ShardStats> = z.object({
  classes: count,
  histogram: z.array(z.array(count)),
  top: z.array(z.array(Ranked)).optional(),
});

export const ThresholdsSchema: z.ZodType<Thresholds> = z.object({
  perClass: count,
  classes: z.array(z.object({ bin: count, available: count, cutoff: Ranked.nullable().optional() })),
  expectedKept: count,
});

export const FilterOutputSchema: z.ZodType<FilterOutputData> = z.object({
  keptPerClass: z.array(count),
  uniquePerClass: z.array(count),
});
