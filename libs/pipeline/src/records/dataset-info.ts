// The dataset description (the payload of a 'dataset' manifest): shape, classes, input
// statistics, table encoding and the parts of every split, with the schema that checks it.
import { z } from 'zod';
import type { TableEncoding } from '@noisy/data';
import type { InputStats } from '@noisy/ml';
import { PartSchema, envelope, numbers, type Part } from './manifest-schema.js';

/** The dataset manifest's payload (kind 'dataset'). */
export interface DatasetInfo {
  datasetId: string;
  name: string;
  kind: 'image' | 'tabular';
  shape: number[];
  classNames: string[];
  stats: InputStats;
  /** Table datasets: the row encoding fitted on the training file. */
  encoding?: TableEncoding;
  /** Shards keep encoded pictures; `shape` is then the first picture's size, models crop at their resolution. */
  encoded?: boolean;
  /**
   * The labeled split: one part per ingest write task that kept labeled records, or a source
   * `train-*` file read in place. Manifests written when it was one shard are read as one part.
   */
  labeled: Part[];
  unlabeled: Part[];
  /** Dev shards carved from the training split (absent in datasets ingested before dev existed). */
  dev?: Part[];
  test: Part[];
}

const StatsSchema: z.ZodType<InputStats> = z.object({ mean: numbers, std: numbers });

export const EncodingSchema: z.ZodType<TableEncoding> = z.object({
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

export const DatasetInfoSchema = z.object({
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

/** The dataset manifest, which every stage's run view reads. */
export const DatasetManifestSchema = envelope('dataset', DatasetInfoSchema);
