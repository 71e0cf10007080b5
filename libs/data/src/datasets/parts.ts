// A source dataset as parts: the units ingest fans out over (a TFRecord file of the original's
// layout; a class folder of an image folder; a split of a source read into memory). A part streams
// its records in a fixed order, each with its label up front and its sample decoded only on demand,
// so counting never decodes a picture and writing decodes only what it keeps. Memory: one part's
// read chunk and the record in hand (in-memory sources: what their reader already holds).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DataError, type DataSource } from '@noisy/core';
import { readPictureHeader } from '../decode-image.js';
import { decodeExample } from '../example.js';
import type { Sample } from '../sample.js';
import type { TableEncoding } from '../table/encoding.js';
import { decodeTFRecordStream } from '../tfrecord-stream.js';
import { classFolders, folderReading, folderSample, listImages, subfolders } from './folder-source.js';
import { openSource, type OpenSourceOptions } from './open.js';
import { sourceFileChunks, sourceFileSize, type SourceObjects } from './source-objects.js';
import type { SourceDataset, SplitSource } from './source.js';
import { keepEncoded, listTFRecordShards, sourceSample, type TFRecordSourceOptions } from './tfrecord-source.js';

export type PartSplit = 'train' | 'test' | 'unlabeled';

export interface SourcePartRef {
  split: PartSplit;
  /** The file, the class folder, or `<split> [0, n)`: names the part in errors and manifests. */
  name: string;
  /** Set when the part is one file: hashed while counted, checked again when written. */
  file?: string;
}

export interface PartRecord {
  /** 0-based class; null in unlabeled parts. */
  readonly label: number | null;
  /** Unlabeled TFRecord parts: whether the record has an image/class/label all the same. */
  readonly carriesLabel?: boolean;
  /** TFRecord parts: the record's length in its file (what a record index of the file holds). */
  readonly length?: number;
  /** Decode the record; call it before the iteration moves on. */
  sample(): Promise<Sample>;
  /**
   * How far through its part this record is, for progress: records out of the part's count where
   * that is known up front (a folder, a split in memory), else bytes of the file read so far (read
   * in 1 MiB chunks) out of its size.
   */
  readonly done: number;
  readonly total: number;
  readonly unit: 'examples' | 'bytes';
}

/** A source file's size and sha256, computed from the bytes a pass read. */
export interface FileDigest {
  file: string;
  bytes: number;
  sha256: string;
}

export interface PartedSource {
  readonly name: string;
  readonly kind: 'image' | 'tabular';
  /** [H, W, C] or [D]; encoded datasets: the first picture's size. */
  readonly shape: number[];
  readonly encoded: boolean;
  /** Null when the source does not name its classes (they are numbered once every label is counted). */
  readonly classNames: string[] | null;
  readonly encoding?: TableEncoding;
  readonly parts: SourcePartRef[];
  /**
   * Stream the records of part `p`, in the same order every time. A file part calls `onDigest`
   * with the size and sha256 of the bytes read once it has read them all.
   */
  records(p: number, onDigest?: (d: FileDigest) => void): AsyncIterable<PartRecord>;
}

/**
 * A source read into memory as one part per split (train and test always, unlabeled when present):
 * its reader holds the data already, so more parts would only add tasks.
 */
export function partsOfSource(src: SourceDataset): PartedSource {
  const splits: Array<[PartSplit, SplitSource | null]> = [
    ['train', src.train],
    ['test', src.test],
    ['unlabeled', src.unlabeled],
  ];
  const parts: Array<SourcePartRef & { from: number; to: number; of: SplitSource }> = [];
  for (const [split, s] of splits)
    if (s && (s.count > 0 || split !== 'unlabeled'))
      parts.push({ split, name: `${split} [0, ${s.count})`, from: 0, to: s.count, of: s });
  return {
    name: src.name,
    kind: src.kind,
    shape: src.shape,
    encoded: src.encoded === true,
    classNames: src.classNames,
    ...(src.encoding ? { encoding: src.encoding } : {}),
    parts: parts.map(({ split, name }) => ({ split, name })),
    async *records(p) {
      const { split, from, to, of } = parts[p];
      for (let i = from; i < to; i++) {
        const label = split === 'unlabeled' || !of.labels ? null : of.labels[i];
        yield { label, sample: () => of.get(i), done: i - from + 1, total: to - from, unit: 'examples' };
      }
    },
  };
}

/** A file's chunks, hashed as they are read. */
async function* hashedChunks(
  file: string,
  objects: SourceObjects | undefined,
  digest: (d: FileDigest) => void,
  onRead: (bytes: number) => void = () => undefined,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of sourceFileChunks(file, objects)) {
    hash.update(chunk);
    bytes += chunk.length;
    onRead(bytes);
    yield chunk;
  }
  digest({ file, bytes, sha256: hash.digest('hex') });
}

function labelOf(rec: Uint8Array, file: string, index: number): number {
  const y = decodeExample(rec, `${file} (record ${index})`)['image/class/label'];
  if (!y || y.kind !== 'int64' || y.value[0] < 1)
    throw new DataError(file, 'labeled records need a 1-based int64 image/class/label', index);
  return y.value[0] - 1;
}

/** The whole-source reader's options, and the store that `store:` paths are read from. */
export type TFRecordPartsOptions = TFRecordSourceOptions & { objects?: SourceObjects };

/**
 * TFRecord files in the original's layout, one part per file: `train-*` (labeled), `test-*` or
 * else `dev-*`/`validation-*` (evaluated), and `extra-*`/`train-*`/`unlabeled-*` of the unlabeled
 * folder. Opening lists the files and reads the first record only.
 */
export async function openTFRecordParts(o: TFRecordPartsOptions): Promise<PartedSource> {
  const train = await listTFRecordShards(o.dir, ['train-'], o.objects);
  let test = await listTFRecordShards(o.dir, ['test-'], o.objects);
  if (!test.length) test = await listTFRecordShards(o.dir, ['dev-', 'validation-'], o.objects);
  if (!train.length) throw new DataError(o.dir, 'no train-* TFRecord shards');
  if (!test.length) throw new DataError(o.dir, 'no test-*, dev-* or validation-* TFRecord shards');
  const unl = o.unlabeledDir
    ? await listTFRecordShards(o.unlabeledDir, ['extra-', 'train-', 'unlabeled-'], o.objects)
    : [];
  const parts: SourcePartRef[] = [
    ...train.map((file) => ({ split: 'train' as const, name: file, file })),
    ...test.map((file) => ({ split: 'test' as const, name: file, file })),
    ...unl.map((file) => ({ split: 'unlabeled' as const, name: file, file })),
  ];
  // The first training record decides the shape and whether pictures stay encoded.
  const rec0 = await firstRecord(train[0], o.objects);
  if (!rec0) throw new DataError(train[0], 'holds no records');
  const enc = decodeExample(rec0, `${train[0]} (record 0)`)['image/encoded'];
  const head =
    enc && enc.kind === 'bytes' && enc.value[0]
      ? await readPictureHeader(enc.value[0], { where: { shard: train[0], record: 0 } })
      : null;
  const encoded = keepEncoded(head, o, train[0]);
  const img = encoded ? null : (await sourceSample(rec0, train[0], 0, o.channels, false, undefined)).image;
  if (!encoded && !img) throw new DataError(o.dir, 'train records have no image/encoded or image/raw');
  return {
    name: 'tfrecord',
    kind: 'image',
    shape: head && encoded ? [head.height, head.width, 3] : [img!.height, img!.width, o.channels],
    encoded,
    classNames: o.classNames,
    parts,
    async *records(p, onDigest) {
      const { split, file } = parts[p];
      let index = 0;
      const total = (await sourceFileSize(file!, o.objects)) ?? 0; // missing: opening it names the file
      let read = 0;
      const chunks = hashedChunks(file!, o.objects, onDigest ?? (() => undefined), (b) => (read = b));
      for await (const rec of decodeTFRecordStream(chunks, file!)) {
        const i = index++;
        const label = split === 'unlabeled' ? null : labelOf(rec, file!, i);
        const carriesLabel =
          split === 'unlabeled' && decodeExample(rec, `${file} (record ${i})`)['image/class/label'] !== undefined;
        yield {
          label,
          carriesLabel,
          length: rec.length,
          sample: () => sourceSample(rec, file!, i, o.channels, encoded, label ?? undefined),
          done: read,
          total: Math.max(total, read),
          unit: 'bytes',
        };
      }
    },
  };
}

async function firstRecord(file: string, objects: SourceObjects | undefined): Promise<Uint8Array | null> {
  for await (const rec of decodeTFRecordStream(
    hashedChunks(file, objects, () => undefined),
    file,
  ))
    return rec;
  return null;
}

/**
 * An image folder, one part per class folder of `train` and of `test` (ImageNet: 1,000 each) and
 * one for the unlabeled folder: a task lists only its own folder. Opening lists the class folders
 * and reads the first picture.
 */
export async function openFolderParts(s: Extract<DataSource, { kind: 'image-folder' }>): Promise<PartedSource> {
  const classes = await classFolders(s.train);
  for (const c of await subfolders(s.test))
    if (!classes.includes(c))
      throw new DataError(
        join(s.test, c),
        `class folder '${c}' is not among the training classes (${classes.join(', ')})`,
      );
  let first: string | undefined;
  for (let k = 0; k < classes.length && !first; k++) first = (await listImages(join(s.train, classes[k])))[0];
  if (!first) throw new DataError(s.train, 'contains no .png or .jpg images');
  const reading = await folderReading(first, s.train, { size: s.size, channels: s.channels, pictures: s.pictures });
  const testClasses = await subfolders(s.test);
  const parts: Array<SourcePartRef & { root: string; label: number | null }> = [
    ...classes.map((c, k) => ({ split: 'train' as const, name: join(s.train, c), root: s.train, label: k })),
    ...testClasses.map((c) => ({
      split: 'test' as const,
      name: join(s.test, c),
      root: s.test,
      label: classes.indexOf(c),
    })),
    ...(s.unlabeled ? [{ split: 'unlabeled' as const, name: s.unlabeled, root: s.unlabeled, label: null }] : []),
  ];
  return {
    name: 'image-folder',
    kind: 'image',
    shape: [reading.shape[0], reading.shape[1], s.channels],
    encoded: reading.encoded,
    classNames: classes,
    parts: parts.map(({ split, name }) => ({ split, name })),
    async *records(p) {
      const { name, root, label } = parts[p];
      const files = await listImages(name);
      for (let k = 0; k < files.length; k++)
        yield {
          label,
          sample: () => folderSample(files[k], root, label ?? undefined, reading),
          done: k + 1,
          total: files.length,
          unit: 'examples',
        };
    },
  };
}

/** Open the source an experiment names, as parts. */
export async function openSourceParts(source: DataSource, o: OpenSourceOptions): Promise<PartedSource> {
  switch (source.kind) {
    case 'tfrecord':
      return openTFRecordParts({
        dir: source.dir,
        unlabeledDir: source.unlabeled,
        channels: source.channels,
        classNames: source.classNames,
        pictures: source.pictures,
        objects: o.objects,
      });
    case 'image-folder':
      return openFolderParts(source);
    default:
      return partsOfSource(await openSource(source, o));
  }
}
