// Checkpoints through the object-store port: `model.json` (topology + weights manifest),
// `weights.bin` and, last, `meta.json` (compiled config, input statistics, metrics, parents,
// sha256 of both files). A checkpoint without meta.json is unfinished and is never loaded.
import * as tf from '@tensorflow/tfjs';
import { ArtifactError, sha256Hex } from '@noisy/core';
import type { ObjectStore } from '@noisy/platform';
import type { TableEncoding } from '@noisy/data';
import { checkpointPrefix } from './checkpoint-prefix.js';
import type { InputStats } from './input.js';

export interface CheckpointMeta {
  format: 'noisy-checkpoint/v1';
  model: { name: string; width: number; depth: number };
  input: {
    kind: 'image' | 'tabular';
    shape: number[];
    classes: number;
    classNames: string[];
    stats: InputStats;
    encoding?: TableEncoding;
  };
  config: unknown;
  metrics: Record<string, unknown>;
  parents: string[];
  files: Record<string, { sha256: string; bytes: number }>;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export async function saveCheckpoint(
  store: ObjectStore,
  prefix: string,
  model: tf.LayersModel,
  meta: Omit<CheckpointMeta, 'files' | 'format'>,
): Promise<CheckpointMeta> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  const weights = new Uint8Array(a.weightData as ArrayBuffer);
  const modelJson = json({
    modelTopology: a.modelTopology,
    format: 'layers-model',
    generatedBy: 'noisy',
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
  });
  await store.put(`${prefix}/weights.bin`, weights);
  await store.put(`${prefix}/model.json`, modelJson);
  const full: CheckpointMeta = {
    format: 'noisy-checkpoint/v1',
    ...meta,
    files: {
      'model.json': { sha256: sha256Hex(modelJson), bytes: modelJson.length },
      'weights.bin': { sha256: sha256Hex(weights), bytes: weights.length },
    },
  };
  await store.put(`${prefix}/meta.json`, `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

export async function loadCheckpoint(
  store: ObjectStore,
  given: string,
): Promise<{ model: tf.LayersModel; meta: CheckpointMeta }> {
  const prefix = await checkpointPrefix(store, given);
  const metaKey = `${prefix}/meta.json`;
  if (!(await store.head(metaKey)))
    throw new ArtifactError(metaKey, 'no checkpoint here (meta.json missing: unfinished or wrong path)');
  const meta = JSON.parse(new TextDecoder().decode(await store.get(metaKey))) as CheckpointMeta;
  const modelBytes = await store.get(`${prefix}/model.json`);
  const weights = await store.get(`${prefix}/weights.bin`);
  for (const [file, bytes] of [
    ['model.json', modelBytes],
    ['weights.bin', weights],
  ] as const) {
    if (sha256Hex(bytes) !== meta.files[file].sha256)
      throw new ArtifactError(`${prefix}/${file}`, 'sha256 does not match meta.json: the checkpoint is corrupt');
  }
  const parsed = JSON.parse(new TextDecoder().decode(modelBytes));
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: parsed.modelTopology,
      weightSpecs: parsed.weightsManifest[0].weights,
      weightData: buffer,
    }),
  );
  return { model, meta };
}
