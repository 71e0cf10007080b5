// `teacher: { checkpoint }`: generation 0 starts from an existing model instead of training one,
// as the original's teacher_model_path. The model step copies the checkpoint (a store key, or a
// folder on disk readable by the trainer) into the run, verified by the sha256 its meta.json
// records, after checking that it takes this dataset's inputs and predicts its classes.
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { ArtifactError, ConfigError, sha256Hex } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import type { CheckpointMeta } from '@noisy/ml';
import { FileObjectStore, type ObjectStore } from '@noisy/platform';
import type { Part } from '../records/manifest.js';
import type { RunView } from '../records/run-view.js';
import type { StepResult } from './manifests.js';

const FIELD = 'teacher.checkpoint';
const FILES = ['model.json', 'weights.bin'] as const;

/**
 * The folder holding a checkpoint's files: `prefix` itself when meta.json is there, else, for a
 * model step's folder, the committed attempt's folder its manifest.json names; null when neither.
 */
async function filesFolder(store: ObjectStore, prefix: string): Promise<string | null> {
  if (await store.head(`${prefix}/meta.json`).catch(() => null)) return prefix;
  if (!(await store.head(`${prefix}/manifest.json`).catch(() => null))) return null;
  const m = JSON.parse(new TextDecoder().decode(await store.get(`${prefix}/manifest.json`))) as {
    parts?: Array<{ key?: unknown }>;
  };
  const meta = m.parts?.map((p) => p.key).find((k): k is string => typeof k === 'string' && k.endsWith('/meta.json'));
  // Part keys are relative to the store the run wrote; this one may be rooted elsewhere (a folder on disk).
  const attempt = meta?.split('/').at(-2);
  return attempt && /^attempt-[0-9a-f]+$/.test(attempt) ? `${prefix}/${attempt}` : null;
}

/** The store and key prefix that hold the checkpoint `value` names. */
async function locate(store: ObjectStore, value: string): Promise<{ store: ObjectStore; prefix: string }> {
  const cleaned = value
    .replace(/^file:\/\//, '')
    .replace(/\/(meta|model)\.json$/, '')
    .replace(/\/+$/, '');
  const pathLike = value.startsWith('file://') || isAbsolute(cleaned) || /^\.\.?(\/|$)/.test(cleaned);
  const inStore = pathLike ? null : await filesFolder(store, cleaned);
  if (inStore) return { store, prefix: inStore };
  const dir = resolve(cleaned);
  const disk = new FileObjectStore(dirname(dir));
  const onDisk = await filesFolder(disk, basename(dir));
  if (onDisk) return { store: disk, prefix: onDisk };
  throw new ConfigError(FIELD, `no checkpoint at '${value}': neither a store key nor a folder holding meta.json`);
}

/** Why the checkpoint cannot be this run's teacher, or null when it fits. */
function mismatch(meta: CheckpointMeta, run: RunView): string | null {
  const { info, classes } = run;
  if (meta.input.kind !== info.kind) return `it takes ${meta.input.kind} inputs, the dataset has ${info.kind} inputs`;
  if (meta.input.shape.join('x') !== info.shape.join('x'))
    return `its input shape is [${meta.input.shape}], the dataset's is [${info.shape}]`;
  if (meta.input.classes !== classes) return `it predicts ${meta.input.classes} classes, the dataset has ${classes}`;
  const a = meta.input.classNames,
    b = info.classNames;
  if (a.length && b.length && a.join('\n') !== b.join('\n'))
    return `its class names (${a.slice(0, 3).join(', ')}...) differ from the dataset's (${b.slice(0, 3).join(', ')}...)`;
  return null;
}

/** Weights in a tfjs model.json's weights manifest (counts.parameters, as a trained model's). */
function countParameters(modelJson: Uint8Array): number {
  const m = JSON.parse(new TextDecoder().decode(modelJson)) as {
    weightsManifest: Array<{ weights: Array<{ shape: number[] }> }>;
  };
  return m.weightsManifest.flatMap((g) => g.weights).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
}

/** The model step of generation 0 when the experiment names a teacher checkpoint. */
export async function importTeacher(store: ObjectStore, run: RunView, value: string): Promise<StepResult<'model'>> {
  const from = await locate(store, value);
  const metaBytes = await from.store.get(`${from.prefix}/meta.json`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes)) as CheckpointMeta;
  } catch (cause) {
    throw new ConfigError(FIELD, `'${value}/meta.json' is not valid JSON`, { cause });
  }
  if (meta.format !== 'noisy-checkpoint/v1' || !meta.input || !meta.files)
    throw new ConfigError(FIELD, `'${value}' is not a noisy checkpoint (meta.json has no format/input/files)`);
  const why = mismatch(meta, run);
  if (why) throw new ConfigError(FIELD, `the checkpoint '${value}' does not fit this dataset: ${why}`);

  const prefix = runKeys.model(run.runId, 0);
  const parts: Part[] = [];
  let parameters = 0;
  for (const f of FILES) {
    const bytes = await from.store.get(`${from.prefix}/${f}`);
    const sha256 = sha256Hex(bytes);
    if (sha256 !== meta.files[f]?.sha256)
      throw new ArtifactError(`${from.prefix}/${f}`, 'sha256 does not match meta.json: the checkpoint is corrupt');
    if (f === 'model.json') parameters = countParameters(bytes);
    await store.put(`${prefix}/${f}`, bytes);
    parts.push({ key: `${prefix}/${f}`, sha256, bytes: bytes.length, records: 1 });
  }
  await store.put(`${prefix}/meta.json`, metaBytes);
  parts.push({ key: `${prefix}/meta.json`, sha256: sha256Hex(metaBytes), bytes: metaBytes.length, records: 1 });
  return {
    parts,
    counts: { labeled: 0, pseudoLabeled: 0, parameters, steps: 0 },
    parents: [run.datasetKey],
    config: { checkpoint: value, model: meta.model },
    data: { epochs: [], steps: 0, examplesSeen: 0, labeled: 0, pseudoLabeled: 0 },
  };
}
