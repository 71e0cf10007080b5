// The manifest of every step as one union keyed by `kind`, with a schema per kind: what a step
// commits and what readers get back after validation. The payload types live beside the code
// that computes them; the schemas here check the stored JSON against them.
import { z } from 'zod';
import type { TableEncoding } from '@noisy/data';
import type { InputStats, Metrics } from '@noisy/ml';
import type { ShardStats, Thresholds } from './balance.js';
import type { DatasetInfo } from './context.js';
import type { FilterOutputData } from './stages/filter.js';
import type { Selection } from './stages/ingest-select.js';
import type { IngestCountData, IngestPlanData, IngestWriteData } from './stages/ingest-tasks.js';
import type { TrainData } from './stages/train.js';

/** An evaluation manifest's payload: the test metrics (as before dev existed) and the dev split's. */
export type EvalData = Metrics & { dev: Metrics | null };

export interface Part {
  key: string;
  sha256: string;
  bytes: number;
  records: number;
  /** Read in place: the source file (on a mounted path) this part is, instead of an object of the store. */
  file?: string;
}

/** The step-specific payload of each kind of manifest. */
export interface ManifestData {
  dataset: DatasetInfo;
  predictions: null;
  'filter-stats': ShardStats;
  'filter-thresholds': Thresholds;
  'filter-output': FilterOutputData;
  model: TrainData;
  evaluation: EvalData;
  'ingest-plan': IngestPlanData;
  'ingest-count': IngestCountData;
  'ingest-select': Selection;
  'ingest-write': IngestWriteData;
}
export type ManifestKind = keyof ManifestData;

export interface ManifestOf<K extends ManifestKind> {
  kind: K;
  /** Parts written by the step (their content is fixed by the seed, so a rerun rewrites them identically). */
  parts: Part[];
  counts: Record<string, number>;
  /** Manifest keys this step read. */
  parents: string[];
  /** The configuration that determined the result. */
  config: unknown;
  /** Step-specific payload: a histogram, thresholds, metrics, dataset description. */
  data: ManifestData[K];
  /** Wall time; the only field that differs between identical reruns. */
  timing: { seconds: number };
  /** Set when the step was not run: its result was taken from this earlier manifest (step cache). */
  reusedFrom?: string;
}

/** Any committed manifest. */
export type Manifest = { [K in ManifestKind]: ManifestOf<K> }[ManifestKind];

const count = z.number().int().min(0);
const numbers = z.array(z.number());

export const PartSchema: z.ZodType<Part> = z.object({
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: count,
  records: count,
  file: z.string().min(1).optional(),
});

const StatsSchema: z.ZodType<InputStats> = z.object({ mean: numbers, std: numbers });

const EncodingSchema: z.ZodType<TableEncoding> = z.object({
  format: z.literal('noisy-table/v1'),
  label: z.string(),
  id: z.string().nullable(),
  missing: z.array(z.string()),
  columns: z.array(
    z.discriminatedUnion('type', [
      z.object({ name: z.string(), type: z.literal('numeric'), fill: z.number(), indicator: z.boolean() }),
      z.object({ name: z.string(), type: z.literal('categorical'), categories: z.array(z.string()) }),
    ]),
  ),
  featureNames: z.array(z.string()),
  classNames: z.array(z.string()),
});

// Datasets ingested before the labeled split became a list of parts hold one part: read as a list of one.
const LabeledSchema = z.union([z.array(PartSchema), PartSchema.transform((p) => [p])]);

const DatasetInfoSchema = z.object({
  datasetId: z.string(),
  name: z.string(),
  kind: z.enum(['image', 'tabular']),
  shape: z.array(z.number().int().positive()).min(1),
  classNames: z.array(z.string()).min(1),
  stats: StatsSchema,
  encoding: EncodingSchema.optional(),
  encoded: z.boolean().optional(),
  labeled: LabeledSchema,
  unlabeled: z.array(PartSchema),
  dev: z.array(PartSchema).optional(),
  test: z.array(PartSchema),
}) as unknown as z.ZodType<DatasetInfo>;

const Span = z.tuple([count, count]);
const Sparse = z.array(z.tuple([count, count]));

const IngestPlanSchema: z.ZodType<IngestPlanData> = z.object({
  name: z.string(),
  kind: z.enum(['image', 'tabular']),
  shape: z.array(z.number().int().positive()).min(1),
  encoded: z.boolean(),
  classNames: z.array(z.string()).nullable(),
  encoding: EncodingSchema.optional(),
  parts: z.array(
    z.object({ split: z.enum(['train', 'test', 'unlabeled']), name: z.string(), file: z.string().optional() }),
  ),
});

const IngestCountSchema: z.ZodType<IngestCountData> = z.object({
  split: z.enum(['train', 'test', 'unlabeled']),
  records: count,
  perClass: z.array(count),
  inPlace: z.boolean().optional(),
  file: z.object({ file: z.string(), bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});

const SelectionSchema: z.ZodType<Selection> = z.object({
  classes: count,
  classNames: z.array(z.string()),
  counts: z.object({ labeled: count, unlabeled: count, dev: count, test: count }),
  shards: z.object({ unlabeled: count, dev: count, test: count }),
  parts: z.array(
    z.object({
      inPlace: z.boolean(),
      dev: Sparse,
      labeled: z.union([z.literal('all'), Sparse]),
      unlabeled: count,
      unlabeledShards: Span,
      devShards: Span,
      test: count,
      testShards: Span,
    }),
  ),
});

const IngestWriteSchema: z.ZodType<IngestWriteData> = z.object({
  labeled: PartSchema.nullable(),
  unlabeled: z.array(PartSchema),
  dev: z.array(PartSchema),
  test: z.array(PartSchema),
  sums: z.object({ n: count, sum: numbers, sq: numbers }).nullable(),
});

const Ranked = z.object({ p: z.number(), id: z.string() });

const ShardStatsSchema: z.ZodType<ShardStats> = z.object({
  classes: count,
  histogram: z.array(z.array(count)),
  top: z.array(z.array(Ranked)).optional(),
});

const ThresholdsSchema: z.ZodType<Thresholds> = z.object({
  perClass: count,
  classes: z.array(z.object({ bin: count, available: count, cutoff: Ranked.nullable().optional() })),
  expectedKept: count,
});

const FilterOutputSchema: z.ZodType<FilterOutputData> = z.object({
  keptPerClass: z.array(count),
  uniquePerClass: z.array(count),
});

const TrainDataSchema: z.ZodType<TrainData> = z.object({
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

const MetricsSchema: z.ZodType<Metrics> = z.object({
  count,
  top1: z.number(),
  top5: z.number(),
  perClass: numbers,
  ece: z.number(),
  confusion: z.array(z.array(count)),
});

// Evaluations written before the dev split existed have no `dev`: read as null.
const EvalDataSchema: z.ZodType<EvalData> = MetricsSchema.and(
  z.object({ dev: MetricsSchema.nullable().default(null) }),
) as unknown as z.ZodType<EvalData>;

function envelope<K extends ManifestKind>(kind: K, data: z.ZodType<ManifestData[K]>) {
  return z.object({
    kind: z.literal(kind),
    parts: z.array(PartSchema),
    counts: z.record(z.string(), z.number()),
    parents: z.array(z.string()),
    config: z.unknown(),
    data,
    timing: z.object({ seconds: z.number().min(0) }),
    reusedFrom: z.string().optional(),
  });
}

const SCHEMAS = {
  dataset: envelope('dataset', DatasetInfoSchema),
  predictions: envelope('predictions', z.null()),
  'filter-stats': envelope('filter-stats', ShardStatsSchema),
  'filter-thresholds': envelope('filter-thresholds', ThresholdsSchema),
  'filter-output': envelope('filter-output', FilterOutputSchema),
  model: envelope('model', TrainDataSchema),
  evaluation: envelope('evaluation', EvalDataSchema),
  'ingest-plan': envelope('ingest-plan', IngestPlanSchema),
  'ingest-count': envelope('ingest-count', IngestCountSchema),
  'ingest-select': envelope('ingest-select', SelectionSchema),
  'ingest-write': envelope('ingest-write', IngestWriteSchema),
} satisfies { [K in ManifestKind]: z.ZodType<ManifestOf<K>> };

/** The schema of one kind of manifest. */
export function manifestSchema<K extends ManifestKind>(kind: K): z.ZodType<ManifestOf<K>> {
  // TypeScript cannot narrow SCHEMAS[kind] by a generic K; `satisfies` above checks each entry.
  return SCHEMAS[kind] as unknown as z.ZodType<ManifestOf<K>>;
}

/** Any manifest, by its `kind`. */
export const AnyManifestSchema: z.ZodType<Manifest> = z.discriminatedUnion('kind', [
  SCHEMAS.dataset,
  SCHEMAS.predictions,
  SCHEMAS['filter-stats'],
  SCHEMAS['filter-thresholds'],
  SCHEMAS['filter-output'],
  SCHEMAS.model,
  SCHEMAS.evaluation,
  SCHEMAS['ingest-plan'],
  SCHEMAS['ingest-count'],
  SCHEMAS['ingest-select'],
  SCHEMAS['ingest-write'],
]);
