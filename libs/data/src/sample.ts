// The record schema of our shards, as tf.train.Example features compatible with the original:
//   id                       bytes, our stable example id (the original matched by running index)
//   image/encoded            PNG/JPEG bytes (the original's field; read), or
//   image/raw + image/height, image/width, image/channels   raw HWC uint8 (what we write: no codec cost)
//   features                 float[D], standardized tabular features
//   image/class/label        int64, 1-based class (labeled data, the original's convention)
//   probabilities, prob, label   teacher softmax, its max, 0-based argmax (pseudo-labeled data)
import { DataError } from '@noisy/core';
import { bytesFeature, decodeExample, encodeExample, floatFeature, int64Feature, type Example } from './example.js';
import { decodeImage, type Image } from './image.js';

/** One example in memory. `label` is 0-based. */
export interface Sample {
  id: string;
  image?: Image;
  features?: Float32Array;
  label?: number;
  probabilities?: Float32Array;
  /** Write the image as this encoded JPEG/PNG (`image/encoded`) instead of raw pixels. */
  encoded?: Uint8Array;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

export function sampleToExample(s: Sample): Example {
  const ex: Example = { id: bytesFeature(utf8.encode(s.id)) };
  if (s.encoded) {
    ex['image/encoded'] = bytesFeature(s.encoded);
    // Dataset shards as imagenet_to_gcs.py writes them; pseudo-labeled records keep the original's
    // filter-output schema, which has no format.
    if (!s.probabilities) ex['image/format'] = bytesFeature(utf8.encode(pictureFormat(s.encoded)));
  } else if (s.image) {
    ex['image/raw'] = bytesFeature(s.image.data);
    ex['image/height'] = int64Feature(s.image.height);
    ex['image/width'] = int64Feature(s.image.width);
    ex['image/channels'] = int64Feature(s.image.channels);
  }
  if (s.features) ex.features = floatFeature(s.features);
  if (s.probabilities) {
    let arg = 0;
    for (let k = 1; k < s.probabilities.length; k++) if (s.probabilities[k] > s.probabilities[arg]) arg = k;
    ex.probabilities = floatFeature(s.probabilities);
    ex.prob = floatFeature([s.probabilities[arg]]);
    ex.label = int64Feature(arg);
  } else if (s.label !== undefined) {
    ex['image/class/label'] = int64Feature(s.label + 1);
  }
  return ex;
}

/** The original's `image/format` value from a picture's magic bytes. */
export function pictureFormat(b: Uint8Array): string {
  if (b[0] === 0xff && b[1] === 0xd8) return 'JPEG';
  if (b[0] === 0x89 && b[1] === 0x50) return 'PNG';
  if (b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57) return 'WEBP';
  return 'UNKNOWN';
}

export function encodeSample(s: Sample): Uint8Array {
  return encodeExample(sampleToExample(s));
}

function intOf(ex: Example, key: string): number | undefined {
  const f = ex[key];
  return f && f.kind === 'int64' && f.value.length > 0 ? f.value[0] : undefined;
}

/**
 * Decode one record; `where` = "file (record i)" for errors; `channels` for encoded images.
 * `keepEncoded`: hand `image/encoded` back as `encoded` bytes instead of decoding it (the
 * training input pipeline crops and decodes it at the model's resolution).
 */
export function decodeSample(
  bytes: Uint8Array,
  where: string,
  index: number,
  channels: 1 | 3 = 3,
  keepEncoded = false,
): Sample {
  const ex = decodeExample(bytes, `${where} (record ${index})`);
  const idf = ex.id;
  const sample: Sample = {
    id: idf && idf.kind === 'bytes' && idf.value[0] ? utf8d.decode(idf.value[0]) : `${where}#${index}`,
  };
  const raw = ex['image/raw'];
  const enc = ex['image/encoded'];
  if (raw && raw.kind === 'bytes') {
    const height = intOf(ex, 'image/height'),
      width = intOf(ex, 'image/width'),
      ch = intOf(ex, 'image/channels');
    if (!height || !width || !ch || raw.value[0].length !== height * width * ch) {
      throw new DataError(where, `image/raw does not match image/height x width x channels`, index);
    }
    sample.image = { height, width, channels: ch, data: raw.value[0] };
  } else if (keepEncoded && enc && enc.kind === 'bytes' && enc.value[0]) {
    sample.encoded = enc.value[0];
  } else if (enc && enc.kind === 'bytes' && enc.value[0]) {
    sample.image = decodeImage(enc.value[0], channels, { shard: where, record: index });
  }
  if (ex.features && ex.features.kind === 'float') sample.features = ex.features.value;
  const labeled = intOf(ex, 'image/class/label');
  if (labeled !== undefined) sample.label = labeled - 1;
  if (ex.probabilities && ex.probabilities.kind === 'float' && ex.probabilities.value.some((p) => p > 0)) {
    sample.probabilities = ex.probabilities.value;
    const lab = intOf(ex, 'label');
    if (lab !== undefined) sample.label = lab;
  }
  if (!sample.image && !sample.features && !sample.encoded)
    throw new DataError(where, 'record has no image/encoded, image/raw or features', index);
  return sample;
}
