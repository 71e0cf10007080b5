// Keeps the most recently loaded checkpoint, so that a worker predicting many shards of one
// generation loads the teacher once. Keyed on the committed manifest's sha256, not the path: a
// checkpoint recommitted under the same prefix is loaded again. Owned by a worker, not a
// module-level singleton.
import type * as tf from '@tensorflow/tfjs';
import { sha256Hex } from '@noisy/core';
import { loadCheckpoint, readCheckpointManifest, type CheckpointMeta } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';

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

  clear(): void {
    this.entry?.model.dispose();
    this.entry = null;
  }
}
