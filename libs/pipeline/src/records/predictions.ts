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
import type { ObjectStore } from '@noisy/platform';
import type { Prediction } from '../analysis/balance.js';
import { readRecords, type Part } from './manifest.js';

export interface StoredPrediction extends Prediction {
  probabilities: Float32Array;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** One prediction record: the row's distribution, its max and argmax, and the example id. */
export function predictionRecord(id: string, row: Float32Array): Uint8Array {
  let arg = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[arg]) arg = k;
  return encodeExample({
    id: bytesFeature(utf8.encode(id)),
    probabilities: floatFeature(row),
    prob: floatFeature([row[arg]]),
    label: int64Feature(arg),
  });
}

export function encodePredictions(ids: string[], probs: Float32Array, classes: number): Uint8Array {
  return encodeTFRecords(ids.map((id, i) => predictionRecord(id, probs.subarray(i * classes, (i + 1) * classes))));
}

function decodePrediction(rec: Uint8Array, file: string, i: number): StoredPrediction {
  const ex = decodeExample(rec, `${file} (record ${i})`);
  const { id, probabilities, prob, label } = ex;
  if (id?.kind !== 'bytes' || probabilities?.kind !== 'float' || prob?.kind !== 'float' || label?.kind !== 'int64') {
    throw new DataError(file, 'prediction record needs id, probabilities, prob and label', i);
  }
  return {
    id: utf8d.decode(id.value[0]),
    probabilities: probabilities.value, // decodeExample copies floats: no view of the read chunk
    prob: prob.value[0],
    label: label.value[0],
  };
}

export function* decodePredictions(bytes: Uint8Array, file: string): Generator<StoredPrediction> {
  let i = 0;
  for (const rec of decodeTFRecords(bytes, file)) yield decodePrediction(rec, file, i++);
}

/** The predictions of a verified part, streamed (see `readRecords`). */
export async function* streamPredictions(store: ObjectStore, part: Part): AsyncGenerator<StoredPrediction> {
  let i = 0;
  for await (const rec of readRecords(store, part)) yield decodePrediction(rec, part.key, i++);
}
