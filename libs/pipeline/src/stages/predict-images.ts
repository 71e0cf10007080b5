// Predict users' own encoded images (PNG/JPEG) with a checkpoint: the inference service's Predict.
// A model trained on encoded pictures sees them as evaluation does (padded center crop, bicubic
// resize); other image models get them resized to their input.
import { DataError } from '@noisy/core';
import { decodeImage, resizeImage } from '@noisy/data';
import { predictProbabilities } from '@noisy/ml';
import type { ObjectStore } from '@noisy/platform';
import { packImages } from '../records/context.js';
import { predictEncoded } from '../records/encoded-input.js';
import type { ModelCache } from '../records/model-cache.js';

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
  const C = meta.input.classes;
  const probs =
    meta.input.pictures === 'encoded'
      ? await predictEncoded(
          model,
          images.map((encoded, i) => ({ id: String(i), encoded })),
          (i) => ({ shard: `images[${i}]`, record: i }),
          meta.input.stats,
          256,
        )
      : await predictProbabilities(
          model,
          packImages(
            images.map((bytes, i) => {
              const img = decodeImage(bytes, c as 1 | 3, `images[${i}]`);
              return { id: String(i), image: img.height === h && img.width === w ? img : resizeImage(img, h, w) };
            }),
            meta.input.shape,
            'images',
          ),
          meta.input.stats,
          256,
        );
  const k = Math.max(1, Math.min(topK || 5, C));
  return images.map((_, i) => {
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
