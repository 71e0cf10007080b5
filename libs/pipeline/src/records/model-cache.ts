// Keeps the most recently loaded checkpoint, so that a worker predicting many shards of one
// generation loads the teacher once. Keyed on the committed manifest's sha256, not the path: a
// checkpoint recommitted under the same prefix is loaded again. Owned by a worker, not a
// module-level singleton.
import type * as tf from '@tensorflow/tfjs';
import { ArtifactError, sha256Hex } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { loadCheckpoint, readCheckpointManifest, type CheckpointMeta } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';
import { readManifestWith } from './manifest.js';
import { AnyEnvelopeSchema } from './manifest-schema.js';

/**
 * Where generation g's checkpoint is loaded from: its model step's folder, whose manifest.json lists
 * the files wherever they lie (under the committing attempt's folder, or an earlier run's for a step
 * reused from the step cache); loadCheckpoint follows the manifest.
 */
export async function checkpointPrefix(store: ObjectStore, runId: string, g: number): Promise<string> {
  const key = runKeys.modelManifest(runId, g);
  if (!(await readManifestWith(store, key, AnyEnvelopeSchema)).parts.some((p) => p.key.endsWith('/meta.json')))
    throw new ArtifactError(key, 'the model manifest lists no meta.json: it is not a checkpoint');
  return runKeys.model(runId, g);
}

export class ModelCache {
  private entry: { key: string; model: tf.LayersModel; meta: CheckpointMeta } | null = null;

  async get(store: ObjectStore, prefix: string): Promise<{ model: tf.LayersModel; meta: CheckpointMeta }> {
    const manifest = await readCheckpointManifest(store, prefix);
    const key = `${store.url}|${sha256Hex(manifest)}`;
    if (this.entry?.key === key) return this.entry;
    this.clear();
    const loaded = await loadCheckpoint(store, prefix, manifest);
    this.entry = { key, ...loaded };
    return this.entry;
  }

  /** Generation g's checkpoint of a run, wherever its manifest says it lies. */
  async generation(
    store: ObjectStore,
    runId: string,
    g: number,
  ): Promise<{ model: tf.LayersModel; meta: CheckpointMeta }> {
    return this.get(store, await checkpointPrefix(store, runId, g));
  }

  clear(): void {
    this.entry?.model.dispose();
    this.entry = null;
  }
}
