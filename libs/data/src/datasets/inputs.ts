// Users' own inputs for prediction, streamed: one picture, an image folder (any nesting; ids are
// relative paths), an IDX image file, or a TFRecord file (our shards or the original's); anything
// else is refused naming what is accepted. Images are
// converted to the model's channels and resized to its input size; for models trained on encoded
// pictures they stay encoded (the caller applies the evaluation crop). Table models read
// CSV/TSV/ARFF rows encoded with the encoding stored in their checkpoint.
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
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
const TFRECORD = /\.tfrecords?$|tfrecord-|-of-\d{5}$/;
const IDX_NAME = /-ubyte(\.gz)?$|\.idx\d?(\.gz)?$/i;
const ACCEPTED =
  'give a picture (.png, .jpg), a folder of pictures, a TFRecord file (.tfrecord, or a shard named *-of-NNNNN), an IDX image file (*-ubyte, *.idx) or, for table models, a .csv, .tsv or .arff file';

/** What a file is, by its first bytes (then by its name): a picture, an IDX file, or unknown. */
async function sniff(path: string): Promise<'picture' | 'idx' | 'unknown'> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])) || (head[0] === 0xff && head[1] === 0xd8))
    return 'picture';
  // IDX: two zero bytes, then the element type and the dimension count (the IDX reader says
  // which types it takes); gzip: an IDX file compressed (the reader names anything else).
  if (head[0] === 0 && head[1] === 0) return 'idx';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'idx';
  if (IDX_NAME.test(path)) return 'idx';
  return 'unknown';
}

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
  } else if (TFRECORD.test(path)) {
    let i = 0;
    for await (const rec of readTFRecordFile(path)) {
      const s = decodeSample(rec, path, i, channels, keepEncoded);
      i++;
      if (keepEncoded) yield { id: s.id, encoded: s.encoded, label: s.label };
      else yield { id: s.id, image: fit(s.image!, shape, `${path} (record ${i - 1})`), label: s.label };
    }
  } else {
    const kind = await sniff(path);
    if (kind === 'picture') {
      // One picture: its file name is its id.
      const bytes = await readFile(path);
      if (keepEncoded) yield { id: basename(path), encoded: new Uint8Array(bytes) };
      else yield { id: basename(path), image: fit(decodeImage(bytes, channels, path), shape, path) };
      return;
    }
    if (kind === 'unknown') throw new DataError(path, `not an input noisy predict reads: ${ACCEPTED}`);
    if (keepEncoded)
      throw new DataError(
        path,
        'this model was trained on encoded pictures: give a picture, a folder of pictures or a TFRecord file',
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
