// Users' own inputs for prediction, streamed: an image folder (any nesting; ids are relative
// paths), an IDX image file, or a TFRecord file (our shards or the original's). Images are
// converted to the model's channels and resized to its input size; for models trained on encoded
// pictures they stay encoded (the caller applies the evaluation crop). Table models read
// CSV/TSV/ARFF rows encoded with the encoding stored in their checkpoint.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DataError } from '@noisy/core';
import { readIdx } from '../idx.js';
import { decodeImage, resizeImage, type Image } from '../image.js';
import { decodeSample, type Sample } from '../sample.js';
import { readTFRecordFile } from '../tfrecord.js';
import { encodeTable, type TableEncoding } from '../table/encoding.js';
import { readTable } from '../table/read-table.js';

const IMAGE = /\.(png|jpe?g)$/i;

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of (await readdir(dir)).sort()) {
    const p = join(dir, e);
    if ((await stat(p)).isDirectory()) yield* walk(p);
    else if (IMAGE.test(e)) yield p;
  }
}

function fit(img: Image, shape: number[], where: string): Image {
  const [h, w, c] = shape;
  if (img.channels !== c) throw new DataError(where, `image has ${img.channels} channels; the model expects ${c}`);
  return img.height === h && img.width === w ? img : resizeImage(img, h, w);
}

const TABLE = /\.(csv|tsv|arff)(\.gz)?$/i;

/**
 * Stream the examples of `path` for a model with input `shape` ([H, W, C], or [D] with its table
 * encoding). `pictures: 'encoded'`: images come as their encoded bytes (`Sample.encoded`).
 */
export async function* readPredictInput(
  path: string,
  input: { shape: number[]; encoding?: TableEncoding; pictures?: 'encoded' },
): AsyncGenerator<Sample> {
  const { shape, encoding } = input;
  const keepEncoded = input.pictures === 'encoded';
  const info = await stat(path).catch((cause) => {
    throw new DataError(path, `cannot read input: ${(cause as NodeJS.ErrnoException).code}`, undefined, { cause });
  });
  const channels = shape[2] as 1 | 3;
  if (shape.length !== 3) {
    if (!encoding) throw new DataError(path, 'this model takes table rows but its checkpoint has no table encoding');
    if (!TABLE.test(path)) throw new DataError(path, 'this model takes table rows: give a .csv, .tsv or .arff file');
    const rows = encodeTable(
      encoding,
      await readTable(path, { delimiter: null, header: true }),
      false,
      path.split('/').pop()!,
    );
    for (const r of rows) yield { id: r.id, features: r.features, label: r.label };
    return;
  }
  if (TABLE.test(path)) throw new DataError(path, 'this model takes images, not table rows');
  if (info.isDirectory()) {
    let n = 0;
    for await (const file of walk(path)) {
      n++;
      const bytes = await readFile(file);
      if (keepEncoded) yield { id: relative(path, file), encoded: new Uint8Array(bytes) };
      else yield { id: relative(path, file), image: fit(decodeImage(bytes, channels, file), shape, file) };
    }
    if (n === 0) throw new DataError(path, 'contains no .png or .jpg images');
  } else if (/\.tfrecords?$|tfrecord-|-of-\d{5}$/.test(path)) {
    let i = 0;
    for await (const rec of readTFRecordFile(path)) {
      const s = decodeSample(rec, path, i, channels, keepEncoded);
      i++;
      if (keepEncoded) yield { id: s.id, encoded: s.encoded, label: s.label };
      else yield { id: s.id, image: fit(s.image!, shape, `${path} (record ${i - 1})`), label: s.label };
    }
  } else {
    if (keepEncoded)
      throw new DataError(
        path,
        'this model was trained on encoded pictures: give a folder of pictures or a TFRecord file',
      );
    const idx = await readIdx(path);
    const [n, h, w] = idx.shape;
    const c = idx.shape[3] ?? 1;
    for (let i = 0; i < n; i++) {
      const img = { height: h, width: w, channels: c, data: idx.data.subarray(i * h * w * c, (i + 1) * h * w * c) };
      yield { id: String(i), image: fit(img, shape, `${path} (image ${i})`) };
    }
  }
}
