// Checkpoints through the object-store port: `model.json` (topology + weights manifest),
// `weights.bin`, `meta.json` (compiled config, input statistics, metrics, parents, sha256 of both
// files) and, last, the commit: `manifest.json` with the sha256 of all three (written by the train
// step, or `commitCheckpoint`). Only a committed checkpoint loads, verified manifest -> meta -> files.
import * as tf from '@tensorflow/tfjs';
import { ArtifactError, sha256Hex } from '@noisy/core';
import type { ObjectStore } from '@noisy/platform';
import type { TableEncoding } from '@noisy/data';
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
    /**
     * 'encoded': trained on encoded pictures, so inputs take the evaluation crop (center crop with
     * crop padding, bicubic resize to `shape`) rather than a plain resize. Absent: pixels.
     */
    pictures?: 'encoded';
  };
  config: unknown;
  metrics: Record<string, unknown>;
  parents: string[];
  files: Record<string, { sha256: string; bytes: number }>;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A model's topology and weights as `model.save` hands them to a save handler (nothing written). */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts!;
}

export async function saveCheckpoint(
  store: ObjectStore,
  prefix: string,
  model: tf.LayersModel,
  meta: Omit<CheckpointMeta, 'files' | 'format'>,
): Promise<CheckpointMeta> {
  const a = await modelArtifacts(model);
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

/** The parts of a checkpoint's commit record (the step manifest's `parts`). */
interface CommitRecord {
  parts: Array<{ key: string; sha256: string; bytes: number }>;
}

/** Commit a saved checkpoint outside a run (tools, tests): its manifest lists the three files. */
export async function commitCheckpoint(store: ObjectStore, prefix: string): Promise<string> {
  const parts = [];
  for (const f of ['model.json', 'weights.bin', 'meta.json']) {
    const bytes = await store.get(`${prefix}/${f}`);
    parts.push({ key: `${prefix}/${f}`, sha256: sha256Hex(bytes), bytes: bytes.length, records: 1 });
  }
  const manifest = { kind: 'model', parts, counts: {}, parents: [], config: null, data: null, timing: { seconds: 0 } };
  await store.put(`${prefix}/manifest.json`, `${JSON.stringify(manifest)}\n`);
  return `${prefix}/manifest.json`;
}

/** The committed manifest's bytes; ArtifactError when the checkpoint is not committed. */
export async function readCheckpointManifest(store: ObjectStore, prefix: string): Promise<Uint8Array> {
  const key = `${prefix}/manifest.json`;
  if (!(await store.head(key)))
    throw new ArtifactError(key, 'no committed checkpoint here (manifest.json missing: unfinished, or a wrong path)');
  return store.get(key);
}

export async function loadCheckpoint(
  store: ObjectStore,
  prefix: string,
  manifestBytes?: Uint8Array,
): Promise<{ model: tf.LayersModel; meta: CheckpointMeta }> {
  const manifestKey = `${prefix}/manifest.json`;
  const manifest = JSON.parse(
    new TextDecoder().decode(manifestBytes ?? (await readCheckpointManifest(store, prefix))),
  ) as CommitRecord;
  // manifest -> each file. Part keys are relative to the store the run wrote (runs/<id>/gen-1/model/
  // attempt-<id>/meta.json); this store may be rooted elsewhere (a checkpoint folder given on disk,
  // copied and renamed): the first of these that exists is the file, tried in order:
  //   the key below the deepest ancestor named like `prefix` (the folder kept its name),
  //   the key from its attempt folder on, under `prefix` (a copied folder, any name),
  //   the file name under `prefix` (a flat copy), the key itself.
  const candidates = (key: string): string[] => {
    const segs = key.split('/');
    const out: string[] = [];
    for (let i = segs.length - 1; i > 0; i--)
      if (`/${segs.slice(0, i).join('/')}`.endsWith(`/${prefix}`)) {
        out.push(`${prefix}/${segs.slice(i).join('/')}`);
        break;
      }
    // The attempt folder (the last `attempt-<hex>`: a run id may itself start with "attempt-").
    const attempt = segs.findLastIndex((x) => /^attempt-[0-9a-f]+$/.test(x));
    if (attempt >= 0) out.push(`${prefix}/${segs.slice(attempt).join('/')}`);
    out.push(`${prefix}/${segs.at(-1)}`, key);
    return out;
  };
  const read = async (file: string) => {
    const part = manifest.parts?.find((p) => p.key.split('/').at(-1) === file);
    if (!part) throw new ArtifactError(manifestKey, `lists no ${file}: not a checkpoint's manifest`);
    const tried = candidates(part.key);
    let key: string | undefined;
    for (const k of tried)
      if (await store.head(k)) {
        key = k;
        break;
      }
    if (!key)
      throw new ArtifactError(
        manifestKey,
        `lists ${part.key}, which is not in this folder (looked for ${tried.join(', ')}): copy the whole model folder, attempt-* folders included; a run that reused this model from an earlier run keeps its files in that run's folder`,
      );
    const bytes = await store.get(key);
    if (sha256Hex(bytes) !== part.sha256)
      throw new ArtifactError(key, 'sha256 does not match the manifest: the checkpoint is corrupt');
    return bytes;
  };
  const meta = JSON.parse(new TextDecoder().decode(await read('meta.json'))) as CheckpointMeta;
  const modelBytes = await read('model.json');
  const weights = await read('weights.bin');
  // meta -> files: meta.json describes the same files the manifest committed.
  for (const [file, bytes] of [
    ['model.json', modelBytes],
    ['weights.bin', weights],
  ] as const) {
    if (sha256Hex(bytes) !== meta.files[file]?.sha256)
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
