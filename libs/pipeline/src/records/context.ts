// What a stage receives besides its task: ports, progress reporting, cancellation; the dataset
// description; helpers that decode and pack shards (a task's RunView binds them to its dataset).
import { DataError } from '@noisy/core';
import type { ProgressEvent } from '@noisy/contracts';
import { decodeSample, type Sample } from '@noisy/data';
import type { ImageSet, InputSet } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';
import { readRecords, type Part } from './manifest.js';
import type { DatasetInfo } from './dataset-info.js';

export type { DatasetInfo } from './dataset-info.js';

export type StageProgress = Omit<ProgressEvent, 'runId' | 'taskId' | 'step' | 'generation' | 'shard'>;

export interface StageContext {
  readonly store: ObjectStore;
  /** Report progress of the running task (rendered as bars, sent as events). */
  progress(p: StageProgress): void;
  /** True when the task should stop (cancellation, shutdown). */
  shouldStop(): boolean;
  /** Whether datasets may be downloaded (never in tests). */
  readonly allowDownload: boolean;
  readonly cacheDir?: string;
}

/**
 * Decode the records of a shard as they stream in, the part verified on the fly (`readRecords`);
 * `keepEncoded`: pictures stay encoded bytes.
 */
export async function* streamSamples(
  store: ObjectStore,
  part: Part,
  channels: 1 | 3 = 3,
  keepEncoded = false,
): AsyncGenerator<Sample> {
  let i = 0;
  for await (const rec of readRecords(store, part)) yield decodeSample(rec, part.key, i++, channels, keepEncoded);
}

/** Decode every record of a verified shard (holds them all: for small parts). */
export async function readSamples(
  store: ObjectStore,
  part: Part,
  channels: 1 | 3 = 3,
  keepEncoded = false,
): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of streamSamples(store, part, channels, keepEncoded)) out.push(s);
  return out;
}

/** Pack decoded image samples into one ImageSet (shape checked against the dataset). */
export function packImages(samples: Sample[], shape: number[], where: string): ImageSet {
  const [h, w, c] = shape;
  const size = h * w * c;
  const pixels = new Uint8Array(samples.length * size);
  samples.forEach((s, i) => {
    const img = s.image;
    if (!img || img.height !== h || img.width !== w || img.channels !== c) {
      const got = img ? `${img.height}x${img.width}x${img.channels}` : 'missing';
      throw new DataError(where, `image ${got} but the dataset's shape is ${h}x${w}x${c}`, i);
    }
    pixels.set(img.data, i * size);
  });
  return { kind: 'image', count: samples.length, shape: [h, w, c], pixels };
}

export function packInputs(samples: Sample[], info: Pick<DatasetInfo, 'kind' | 'shape'>, where: string): InputSet {
  if (info.kind === 'image') return packImages(samples, info.shape, where);
  const d = info.shape[0];
  const features = new Float32Array(samples.length * d);
  samples.forEach((s, i) => {
    if (!s.features || s.features.length !== d)
      throw new DataError(
        where,
        `${s.features ? `${s.features.length} features` : 'no features'} but the dataset has ${d}`,
        i,
      );
    features.set(s.features, i * d);
  });
  return { kind: 'tabular', count: samples.length, shape: [d], features };
}

/** Labels of samples, each checked to lie in [0, classes). */
export function labelsOf(samples: Sample[], classes: number, where: string): Int32Array {
  return Int32Array.from(samples, (s, i) => {
    if (s.label === undefined || s.label < 0 || s.label >= classes) {
      throw new DataError(where, `label ${s.label} outside [0, ${classes})`, i);
    }
    return s.label;
  });
}
