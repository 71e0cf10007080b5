// What ingest's tasks commit (kinds 'ingest-plan', 'ingest-count', 'ingest-select',
// 'ingest-write'): their payload types and the schemas that check them when read.
import { z } from 'zod';
import type { FileDigest, SourcePartRef, TableEncoding } from '@noisy/data';
import { EncodingSchema } from '../records/dataset-info.js';
import { PartSchema, count, numbers, type Part } from '../records/manifest-schema.js';
import type { PartCounts, Selection } from './ingest-select.js';

/** What the `ingest` task commits (kind 'ingest-plan'): the source's description and its parts. */
export interface IngestPlanData {
  name: string;
  kind: 'image' | 'tabular';
  shape: number[];
  encoded: boolean;
  classNames: string[] | null;
  encoding?: TableEncoding;
  parts: SourcePartRef[];
}

/** What ingest-count commits for one part. */
export type IngestCountData = PartCounts & { file?: FileDigest };

/** What ingest-write commits for one part; `sums` feed the input statistics of raw-pixel and table sets. */
export interface IngestWriteData {
  labeled: Part | null;
  unlabeled: Part[];
  dev: Part[];
  test: Part[];
  /** Per channel (or feature): values seen, their sum and sum of squares (pixels scaled to [0, 1]). */
  sums: { n: number; sum: number[]; sq: number[] } | null;
}

export const IngestPlanSchema: z.ZodType<IngestPlanData> = z.object({
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

export const IngestCountSchema: z.ZodType<IngestCountData> = z.object({
  split: z.enum(['train', 'test', 'unlabeled']),
  records: count,
  perClass: z.array(count),
  inPlace: z.boolean().optional(),
  file: z.object({ file: z.string(), bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});

const Span = z.tuple([count, count]);
const Sparse = z.array(z.tuple([count, count]));

export const SelectionSchema: z.ZodType<Selection> = z.object({
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

export const IngestWriteSchema: z.ZodType<IngestWriteData> = z.object({
  labeled: PartSchema.nullable(),
  unlabeled: z.array(PartSchema),
  dev: z.array(PartSchema),
  test: z.array(PartSchema),
  sums: z.object({ n: count, sum: numbers, sq: numbers }).nullable(),
});
