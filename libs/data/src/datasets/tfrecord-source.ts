// TFRecord shards as a source dataset: ours, or the original implementation's (SVHN/ImageNet
// layout: `train-*` and `dev-*`/`test-*` shards with JPEG `image/encoded` and 1-based
// `image/class/label`; `extra-*`/`train-*` unlabeled shards with dummy `probabilities`/`prob`/`label`).
// One scan records each record's file and offset and decodes only labels; examples are then read
// one at a time by offset, so memory stays bounded by one record.
import { open } from 'node:fs/promises';
import { DataError } from '@noisy/core';
import { decodeExample } from '../example.js';
import { readPictureHeader, verifyPicture } from '../decode-image.js';
import { decodeSample, type Sample } from '../sample.js';
import { readTFRecordFile } from '../tfrecord.js';
import { classCountOf } from './labels.js';
import { listSourceDir, type SourceObjects } from './source-objects.js';
import type { SourceDataset, SplitSource } from './source.js';

/**
 * Where every record of a split lies, in typed arrays (about 20 bytes a record, no object per
 * record): ImageNet's 1.28M records take ~25 MB instead of ~150 MB of small objects.
 */
class Locations {
  readonly files: string[] = [];
  count = 0;
  file = new Uint32Array(1024);
  offset = new Float64Array(1024);
  length = new Uint32Array(1024);
  index = new Uint32Array(1024);

  push(file: number, offset: number, length: number, index: number): void {
    if (this.count === this.file.length) {
      const grow = <T extends Uint32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.file = grow(this.file);
      this.offset = grow(this.offset);
      this.length = grow(this.length);
      this.index = grow(this.index);
    }
    const i = this.count++;
    this.file[i] = file;
    this.offset[i] = offset;
    this.length[i] = length;
    this.index[i] = index;
  }
}

/** Growable Int32Array for labels. */
class Labels {
  data = new Int32Array(1024);
  count = 0;
  push(v: number): void {
    if (this.count === this.data.length) {
      const b = new Int32Array(this.data.length * 2);
      b.set(this.data);
      this.data = b;
    }
    this.data[this.count++] = v;
  }
  array(): Int32Array {
    return this.data.slice(0, this.count);
  }
}

/** The TFRecord files of `dir` (a directory, or `store:<prefix>`) whose names start with one of `prefixes`, sorted. */
export async function listTFRecordShards(dir: string, prefixes: string[], objects?: SourceObjects): Promise<string[]> {
  return (await listSourceDir(dir, objects)).filter((path) => {
    const n = path.slice(path.lastIndexOf('/') + 1);
    return prefixes.some((p) => n.startsWith(p)) && !n.endsWith('.json');
  });
}

async function scan(files: string[], wantLabels: boolean): Promise<{ at: Locations; labels: Int32Array }> {
  const at = new Locations();
  const labels = new Labels();
  for (const file of files) {
    let offset = 0;
    let index = 0;
    const f = at.files.push(file) - 1;
    for await (const rec of readTFRecordFile(file)) {
      at.push(f, offset + 12, rec.length, index);
      if (wantLabels) {
        const y = decodeExample(rec, `${file} (record ${index})`)['image/class/label'];
        if (!y || y.kind !== 'int64' || y.value[0] < 1)
          throw new DataError(file, 'labeled records need a 1-based int64 image/class/label', index);
        labels.push(y.value[0] - 1);
      }
      offset += 16 + rec.length;
      index++;
    }
  }
  return { at, labels: labels.array() };
}

function split(at: Locations, labels: Int32Array | null, channels: 1 | 3, encoded: boolean): SplitSource {
  return {
    count: at.count,
    labels,
    get: async (i) => {
      const r = { file: at.files[at.file[i]], offset: at.offset[i], length: at.length[i], index: at.index[i] };
      const fh = await open(r.file, 'r');
      try {
        const buf = new Uint8Array(r.length);
        await fh.read(buf, 0, r.length, r.offset);
        return await sourceSample(buf, r.file, r.index, channels, encoded, labels ? labels[i] : undefined);
      } finally {
        await fh.close();
      }
    },
  };
}

/** One record of a source file as a sample: pictures checked, the original's dummy fields dropped. */
export async function sourceSample(
  buf: Uint8Array,
  file: string,
  index: number,
  channels: 1 | 3,
  encoded: boolean,
  label: number | undefined,
): Promise<Sample> {
  const s = decodeSample(buf, file, index, channels, encoded);
  // Kept encoded: verified now (header, then a 1/8-scale decode), so a bad picture fails ingest.
  if (encoded && !s.encoded)
    throw new DataError(file, 'record has no image/encoded picture (the dataset keeps encoded pictures)', index);
  if (s.encoded) await verifyPicture(s.encoded, { where: { shard: file, record: index } });
  // Unlabeled shards of the original carry dummy prediction fields: drop them.
  return {
    id: s.id.includes('#') ? `${file.split('/').pop()}#${index}` : s.id,
    image: s.image,
    encoded: s.encoded,
    features: s.features,
    label,
  };
}

export interface TFRecordSourceOptions {
  dir: string;
  unlabeledDir: string | null;
  channels: 1 | 3;
  classNames: string[] | null;
  /** Keep pictures encoded ('auto': when the first is larger than 64 px on a side). @default 'auto' */
  pictures?: 'auto' | 'encoded' | 'pixels';
}

/** Larger pictures than this (on their longer side) are kept encoded under `pictures: auto`. */
export const SMALL_PICTURE = 64;

/**
 * Whether a TFRecord source keeps its pictures encoded, from the first training picture's header
 * (null: the record holds no image/encoded) and the `pictures` and `channels` settings.
 */
export function keepEncoded(
  head: { width: number; height: number } | null,
  o: Pick<TFRecordSourceOptions, 'pictures' | 'channels' | 'dir'>,
  firstFile: string,
): boolean {
  const mode = o.pictures ?? 'auto';
  if (mode === 'encoded' && !head) throw new DataError(firstFile, 'pictures: encoded needs image/encoded records', 0);
  const encoded =
    head !== null &&
    (mode === 'encoded' || (mode === 'auto' && o.channels === 3 && Math.max(head.width, head.height) > SMALL_PICTURE));
  if (encoded && o.channels !== 3)
    throw new DataError(o.dir, 'encoded pictures are read as RGB: set channels: 3, or pictures: pixels');
  return encoded;
}

export async function openTFRecordSource(o: TFRecordSourceOptions): Promise<SourceDataset> {
  const train = await scan(await listTFRecordShards(o.dir, ['train-']), true);
  const testFiles = await listTFRecordShards(o.dir, ['test-']);
  const test = await scan(
    testFiles.length ? testFiles : await listTFRecordShards(o.dir, ['dev-', 'validation-']),
    true,
  );
  if (!train.at.count) throw new DataError(o.dir, 'no train-* TFRecord shards');
  if (!test.at.count) throw new DataError(o.dir, 'no test-*, dev-* or validation-* TFRecord shards');
  const unl = o.unlabeledDir
    ? await scan(await listTFRecordShards(o.unlabeledDir, ['extra-', 'train-', 'unlabeled-']), false)
    : null;
  const classes = classCountOf(train.labels, test.labels);
  const first = await split(train.at, train.labels, o.channels, true)
    .get(0)
    .catch(() => null);
  const head = first?.encoded
    ? await readPictureHeader(first.encoded, { where: { shard: train.at.files[0], record: 0 } })
    : null;
  const encoded = keepEncoded(head, o, train.at.files[0]);
  const img = encoded ? null : (await split(train.at, train.labels, o.channels, false).get(0)).image;
  if (!encoded && !img) throw new DataError(o.dir, 'train records have no image/encoded or image/raw');
  return {
    name: 'tfrecord',
    kind: 'image',
    shape: head && encoded ? [head.height, head.width, 3] : [img!.height, img!.width, o.channels],
    encoded,
    classNames: o.classNames ?? Array.from({ length: classes }, (_, k) => String(k)),
    train: split(train.at, train.labels, o.channels, encoded),
    test: split(test.at, test.labels, o.channels, encoded),
    unlabeled: unl && unl.at.count ? split(unl.at, null, o.channels, encoded) : null,
  };
}
