// What a task knows about its run, loaded once per task: the run record (frozen experiment,
// dataset id), the dataset's manifest and what follows from it (channels, classes, shard count),
// and helpers that read and pack the dataset's shards, streamed from the store.
import { CompiledExperimentSchema, type CompiledExperiment } from '@noisy/core';
import { datasetKeys, runKeys } from '@noisy/contracts';
import type { Sample } from '@noisy/data';
import { predictProbabilities, type InputSet, type InputStats } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';
import { z } from 'zod';
import { labelsOf, packInputs, readSamples, streamSamples, type DatasetInfo } from './context.js';
import { predictEncoded } from './encoded-input.js';
import { readManifestWith, readRecords, type Part } from './manifest.js';
import { DatasetManifestSchema } from './dataset-info.js';
import { packStreams, type PackedPart, type PackWants } from './pack-stream.js';
import { readValidated } from './read-validated.js';

/** What `runs/<id>/experiment.json` holds: the frozen experiment and the dataset it uses. */
export interface RunRecord {
  runId: string;
  datasetId: string;
  experiment: CompiledExperiment;
  createdAt: string;
}

export const RunRecordSchema: z.ZodType<RunRecord> = z.object({
  runId: z.string(),
  datasetId: z.string(),
  experiment: CompiledExperimentSchema,
  createdAt: z.string(),
});

/** The run record, validated, its experiment frozen again. */
export async function loadRun(store: ObjectStore, runId: string): Promise<RunRecord> {
  return readValidated(store, runKeys.experiment(runId), RunRecordSchema);
}

export interface RunView {
  readonly store: ObjectStore;
  readonly runId: string;
  readonly record: RunRecord;
  readonly experiment: CompiledExperiment;
  /** Key of the dataset manifest (a parent of every step that reads the dataset). */
  readonly datasetKey: string;
  readonly info: DatasetInfo;
  /** Image channels the shards decode to (tabular datasets: 3, unused). */
  readonly channels: 1 | 3;
  readonly classes: number;
  /** Unlabeled shards: the fan-out of predict and filter. */
  readonly shards: number;
  /** Unlabeled examples over all shards. */
  readonly unlabeledCount: number;
  /** Decode every record of a verified part of this dataset (or of a step's output); small parts only. */
  samples(part: Part): Promise<Sample[]>;
  /** The raw records of a part, streamed and verified on the fly (see `readRecords`). */
  records(part: Part): AsyncIterable<Uint8Array>;
  /** The decoded records of a part, streamed. */
  sampleStream(part: Part): AsyncIterable<Sample>;
  /**
   * A part (or several, one after another: the labeled split) packed as the model's input (and
   * labels or teacher distributions), streamed into place.
   */
  packed(part: Part | Part[], want?: PackWants): Promise<PackedPart>;
  /** Pack samples as the model's input, checked against the dataset's shape. */
  inputs(samples: Sample[], where: string): InputSet;
  /** Labels of samples, each checked to lie in [0, classes). */
  labels(samples: Sample[], where: string): Int32Array;
  /**
   * Softmax of `model` (inference mode) over samples read from `where`: packed pixels, or encoded
   * pictures center-cropped at the model's resolution.
   */
  probabilities(
    model: Parameters<typeof predictProbabilities>[0],
    samples: Sample[],
    where: string,
    batchSize: number,
    onProgress?: (done: number, total: number) => void,
    /** The model's input normalisation. @default the dataset's */
    stats?: InputStats,
  ): Promise<Float32Array>;
}

/** Load a run and its dataset once; stages take everything they need about the run from here. */
export async function loadRunView(store: ObjectStore, runId: string): Promise<RunView> {
  const record = await loadRun(store, runId);
  const datasetKey = datasetKeys.manifest(record.datasetId);
  const info = (await readManifestWith(store, datasetKey, DatasetManifestSchema)).data;
  const channels = info.kind === 'image' && info.shape[2] === 1 ? 1 : 3;
  const classes = info.classNames.length;
  return {
    store,
    runId,
    record,
    experiment: record.experiment,
    datasetKey,
    info,
    channels,
    classes,
    shards: info.unlabeled.length,
    unlabeledCount: info.unlabeled.reduce((a, p) => a + p.records, 0),
    samples: (part) => readSamples(store, part, channels, info.encoded === true),
    records: (part) => readRecords(store, part),
    sampleStream: (part) => streamSamples(store, part, channels, info.encoded === true),
    packed: (part, want) =>
      packStreams(
        (Array.isArray(part) ? part : [part]).map((p) => ({
          samples: streamSamples(store, p, channels, info.encoded === true),
          count: p.records,
          where: p.key,
        })),
        info,
        classes,
        want,
      ),
    inputs: (samples, where) => packInputs(samples, info, where),
    labels: (samples, where) => labelsOf(samples, classes, where),
    probabilities: (model, samples, where, batchSize, onProgress, stats = info.stats) =>
      info.encoded
        ? predictEncoded(model, samples, where, stats, batchSize, onProgress)
        : predictProbabilities(model, packInputs(samples, info, where), stats, batchSize, onProgress),
  };
}
