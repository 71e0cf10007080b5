// Predict users' own encoded images (PNG/JPEG) with a checkpoint: the inference service's Predict.
import { DataError } from '@noisy/core';
import { decodeImage, resizeImage } from '@noisy/data';
import { predictProbabilities } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';
import { packImages } from './context.js';
import type { ModelCache } from './model-cache.js';

export interface TopK {
  classes: string[];
  probabilities: number[];
}

export async function predictImages(
  store: ObjectStore,
  modelKey: string,
  images: Uint8Array[],
  topK: number,
  models: ModelCache,
): Promise<TopK[]> {
  const { model, meta } = await models.get(store, modelKey);
  const [h, w, c] = meta.input.shape;
  if (meta.input.shape.length !== 3) throw new DataError(modelKey, 'this model takes tabular rows, not images');
  const samples = images.map((bytes, i) => {
    const img = decodeImage(bytes, c as 1 | 3, `images[${i}]`);
    return { id: String(i), image: img.height === h && img.width === w ? img : resizeImage(img, h, w) };
  });
  const C = meta.input.classes;
  const probs = await predictProbabilities(
    model,
    packImages(samples, meta.input.shape, 'images'),
    meta.input.stats,
    256,
  );
  const k = Math.max(1, Math.min(topK || 5, C));
  return samples.map((_, i) => {
    const row = probs.subarray(i * C, (i + 1) * C);
    const order = Array.from({ length: C }, (_, j) => j)
      .sort((a, b) => row[b] - row[a])
      .slice(0, k);
    return {
      classes: order.map((j) => meta.input.classNames[j] ?? String(j)),
      probabilities: order.map((j) => row[j]),
    };
  });
}
