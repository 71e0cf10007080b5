// Keeps the most recently loaded checkpoint, so that a worker predicting many shards of one
// generation loads the teacher once. Owned by a worker, not a module-level singleton.
import type * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, type CheckpointMeta } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';

export class ModelCache {
  private entry: { key: string; model: tf.LayersModel; meta: CheckpointMeta } | null = null;

  async get(store: ObjectStore, prefix: string): Promise<{ model: tf.LayersModel; meta: CheckpointMeta }> {
    const key = `${store.url}|${prefix}`;
    if (this.entry?.key === key) return this.entry;
    this.clear();
    const loaded = await loadCheckpoint(store, prefix);
    this.entry = { key, ...loaded };
    return this.entry;
  }

  clear(): void {
    this.entry?.model.dispose();
    this.entry = null;
  }
}
