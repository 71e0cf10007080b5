// Prediction records (the original's train-info files, plus our example ids):
//   id bytes, probabilities float[C] (teacher softmax, T = 1), prob float (its max), label int64 (argmax)
import { DataError } from '@noisy/core';
import {
  bytesFeature,
  decodeExample,
  decodeTFRecords,
  encodeExample,
  encodeTFRecords,
  floatFeature,
  int64Feature,
} from '@noisy/data';
import type { Prediction } from './balance.js';

export interface StoredPrediction extends Prediction {
  probabilities: Float32Array;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

export function encodePredictions(ids: string[], probs: Float32Array, classes: number): Uint8Array {
  return encodeTFRecords(
    ids.map((id, i) => {
      const row = probs.subarray(i * classes, (i + 1) * classes);
      let arg = 0;
      for (let k = 1; k < classes; k++) if (row[k] > row[arg]) arg = k;
      return encodeExample({
        id: bytesFeature(utf8.encode(id)),
        probabilities: floatFeature(row),
        prob: floatFeature([row[arg]]),
        label: int64Feature(arg),
      });
    }),
  );
}

export function* decodePredictions(bytes: Uint8Array, file: string): Generator<StoredPrediction> {
  let i = 0;
  for (const rec of decodeTFRecords(bytes, file)) {
    const ex = decodeExample(rec, `${file} (record ${i})`);
    const { id, probabilities, prob, label } = ex;
    if (id?.kind !== 'bytes' || probabilities?.kind !== 'float' || prob?.kind !== 'float' || label?.kind !== 'int64') {
      throw new DataError(file, 'prediction record needs id, probabilities, prob and label', i);
    }
    yield {
      id: utf8d.decode(id.value[0]),
      probabilities: probabilities.value,
      prob: prob.value[0],
      label: label.value[0],
    };
    i++;
  }
}
