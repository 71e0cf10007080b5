// Pack a streamed part straight into the model's input arrays: the arrays are sized once from
// the manifest's record count and filled as samples arrive, so no Sample[] (a JS object per
// record, on the V8 heap) and no copy of the shard's bytes is ever held.
import { DataError } from '@noisy/core';
import type { Sample } from '@noisy/data';
import type { InputSet } from '@noisy/ml';
import type { DatasetInfo } from './context.js';

export interface PackedPart {
  set: InputSet;
  /** Labels in [0, classes), when asked for. */
  labels?: Int32Array;
  /** [n, classes] teacher distributions (filtered shards), when asked for. */
  probabilities?: Float32Array;
}

export interface PackWants {
  labels?: boolean;
  probabilities?: boolean;
}

export async function packStream(
  samples: AsyncIterable<Sample>,
  count: number,
  info: Pick<DatasetInfo, 'kind' | 'shape'>,
  classes: number,
  where: string,
  want: PackWants = {},
): Promise<PackedPart> {
  return packStreams([{ samples, count, where }], info, classes, want);
}

/** One streamed part among several packed into one set: its samples, its record count, its name for errors. */
export interface PackSource {
  samples: AsyncIterable<Sample>;
  count: number;
  where: string;
}

/** Several streamed parts packed one after another into one set (arrays sized once from their counts). */
export async function packStreams(
  sources: PackSource[],
  info: Pick<DatasetInfo, 'kind' | 'shape'>,
  classes: number,
  want: PackWants = {},
): Promise<PackedPart> {
  const count = sources.reduce((a, s) => a + s.count, 0);
  const size = info.shape.reduce((a, b) => a * b, 1);
  const pixels = info.kind === 'image' ? new Uint8Array(count * size) : undefined;
  const features = info.kind === 'tabular' ? new Float32Array(count * size) : undefined;
  const labels = want.labels ? new Int32Array(count) : undefined;
  const probabilities = want.probabilities ? new Float32Array(count * classes) : undefined;
  let o = 0; // records packed from the parts before this one
  for (const { samples, count: n, where } of sources) {
    let i = 0;
    for await (const s of samples) {
      if (i >= n) throw new DataError(where, `more than the ${n} records its manifest counts`, i);
      const k = o + i;
      if (pixels) {
        const [h, w, c] = info.shape;
        const img = s.image;
        if (!img || img.height !== h || img.width !== w || img.channels !== c) {
          const got = img ? `${img.height}x${img.width}x${img.channels}` : 'missing';
          throw new DataError(where, `image ${got} but the dataset's shape is ${h}x${w}x${c}`, i);
        }
        pixels.set(img.data, k * size);
      } else {
        if (!s.features || s.features.length !== size)
          throw new DataError(
            where,
            `${s.features ? `${s.features.length} features` : 'no features'} but the dataset has ${size}`,
            i,
          );
        features!.set(s.features, k * size);
      }
      if (labels) {
        if (s.label === undefined || s.label < 0 || s.label >= classes)
          throw new DataError(where, `label ${s.label} outside [0, ${classes})`, i);
        labels[k] = s.label;
      }
      if (probabilities) {
        if (s.probabilities?.length !== classes)
          throw new DataError(where, `needs a teacher distribution over ${classes} classes`, i);
        probabilities.set(s.probabilities, k * classes);
      }
      i++;
    }
    if (i !== n) throw new DataError(where, `${i} records but its manifest counts ${n}`);
    o += n;
  }
  const set: InputSet = pixels
    ? { kind: 'image', count, shape: [info.shape[0], info.shape[1], info.shape[2]], pixels }
    : { kind: 'tabular', count, shape: [size], features: features! };
  return { set, labels, probabilities };
}
