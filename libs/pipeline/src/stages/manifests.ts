// The registry of manifest kinds: each step's kind bound to the payload schema its stage owns
// (stages/*-data.ts, records/dataset-info.ts for the dataset), and the typed forms of the
// records layer's manifest functions. Code above the records layer reads and commits manifests
// through these; the records layer itself stays generic, so no schema imports the code it checks.
import { z } from 'zod';
import type { ObjectStore } from '@noisy/platform';
import type { ShardStats, Thresholds } from '../analysis/balance.js';
import type { DatasetInfo } from '../records/dataset-info.js';
import {
  commitStepWith,
  readManifestWith,
  verifyCommitWith,
  type CacheInputs,
  type StepOutput,
} from '../records/manifest.js';
import { DatasetInfoSchema } from '../records/dataset-info.js';
import { envelope, type EnvelopeSchema, type ManifestEnvelope } from '../records/manifest-schema.js';
import { EvalDataSchema, type EvalData } from './evaluate-data.js';
import { FilterOutputSchema, ShardStatsSchema, ThresholdsSchema, type FilterOutputData } from './filter-data.js';
import {
  IngestCountSchema,
  IngestPlanSchema,
  IngestWriteSchema,
  SelectionSchema,
  type IngestCountData,
  type IngestPlanData,
  type IngestWriteData,
} from './ingest-data.js';
import type { Selection } from './ingest-select.js';
import { TrainDataSchema, type TrainData } from './train-data.js';

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
export type ManifestOf<K extends ManifestKind> = ManifestEnvelope<K, ManifestData[K]>;
/** Any committed manifest. */
export type Manifest = { [K in ManifestKind]: ManifestOf<K> }[ManifestKind];
/** What a step of kind `K` produced; `commitStep` adds the kind and the wall time. */
export type StepResult<K extends ManifestKind> = StepOutput<ManifestData[K]>;

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
} satisfies { [K in ManifestKind]: EnvelopeSchema<K, ManifestData[K]> };

/** The schema of one kind of manifest. */
export function manifestSchema<K extends ManifestKind>(kind: K): EnvelopeSchema<K, ManifestData[K]> {
  // TypeScript cannot narrow SCHEMAS[kind] by a generic K; `satisfies` above checks each entry.
  return SCHEMAS[kind] as unknown as EnvelopeSchema<K, ManifestData[K]>;
}

/** Any manifest, by its `kind`, its payload checked against that kind's schema. */
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
] as never) as unknown as z.ZodType<Manifest>;

/** Read a committed manifest, checked against the schema of its kind (or of any kind). */
export async function readManifest<K extends ManifestKind>(
  store: ObjectStore,
  key: string,
  kind: K,
): Promise<ManifestOf<K>>;
export async function readManifest(store: ObjectStore, key: string): Promise<Manifest>;
export async function readManifest(store: ObjectStore, key: string, kind?: ManifestKind): Promise<Manifest> {
  const schema = kind ? manifestSchema(kind) : AnyManifestSchema;
  return readManifestWith(store, key, schema as z.ZodType<Manifest>);
}

/** Whether a step is done: its manifest is valid for its kind and every part matches (records' `verifyCommitWith`). */
export const verifyCommit = (store: ObjectStore, key: string): Promise<boolean> =>
  verifyCommitWith(store, key, AnyManifestSchema);

/** Run a step once and commit its manifest of kind `kind` last (records' `commitStepWith`). */
export function commitStep<K extends ManifestKind>(
  store: ObjectStore,
  key: string,
  kind: K,
  work: (attempt: string) => Promise<StepResult<K>>,
  cache?: CacheInputs,
): Promise<string> {
  return commitStepWith(store, key, kind, manifestSchema(kind), work, cache, (k) => readManifest(store, k));
}
