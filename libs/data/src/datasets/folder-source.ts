// Image folders, the ImageNet layout: <split>/<class>/<image>.png|jpg. Classes are the sorted
// subfolder names of the training folder; images are decoded one at a time on demand.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '@noisy/core';
import { readPictureHeader, verifyPicture } from '../decode-image.js';
import { decodeImage, resizeImage } from '../image.js';
import type { Sample } from '../sample.js';
import type { SourceDataset, SplitSource } from './source.js';

const IMAGE = /\.(png|jpe?g)$/i;

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (cause) {
    throw new DataError(
      dir,
      `cannot read image folder: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      undefined,
      { cause },
    );
  }
}

/** The pictures under `dir`, sorted, at any depth. */
// Appends into one array: `out.push(...sub)` would overflow the stack on a folder of ~150k images.
export async function listImages(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await listDir(dir)) {
    const p = join(dir, e);
    if ((await stat(p)).isDirectory()) await listImages(p, out);
    else if (IMAGE.test(e)) out.push(p);
  }
  return out;
}

export interface FolderOptions {
  size: [number, number] | null;
  channels: 1 | 3;
  /** Keep pictures encoded ('auto': when no size is set and the first is larger than 64 px). @default 'auto' */
  pictures?: 'auto' | 'encoded' | 'pixels';
}

/** How a folder's pictures are read: `shape` [H, W] they must have (unless resized), kept encoded or not. */
export type FolderReading = FolderOptions & { shape: [number, number]; encoded: boolean };

/** One picture of a folder as a sample (id: its path under `root`). */
export async function folderSample(
  file: string,
  root: string,
  label: number | undefined,
  o: FolderReading,
): Promise<Sample> {
  const bytes = await readFile(file).catch((cause) => {
    throw new DataError(file, `cannot read: ${(cause as Error).message}`, undefined, { cause });
  });
  const id = file.slice(root.length + 1);
  if (o.encoded) {
    // Verified (header, then a 1/8-scale decode): a bad picture fails ingest, not training.
    await verifyPicture(bytes, { where: { shard: file, record: 0 } });
    return { id, encoded: bytes, label };
  }
  let image = decodeImage(bytes, o.channels, file);
  if (o.size) image = resizeImage(image, o.size[0], o.size[1]);
  else if (image.height !== o.shape[0] || image.width !== o.shape[1]) {
    throw new DataError(
      file,
      `image is ${image.height}x${image.width} but the dataset's images are ${o.shape[0]}x${o.shape[1]}; set data.source.size to resize`,
    );
  }
  return { id, image, label };
}

function folderSplit(files: string[], labels: Int32Array | null, root: string, o: FolderReading): SplitSource {
  return {
    count: files.length,
    labels,
    get: (i) => folderSample(files[i], root, labels ? labels[i] : undefined, o),
  };
}

/** The sorted subfolders of `root`. */
export async function subfolders(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listDir(root)) if ((await stat(join(root, e))).isDirectory()) out.push(e);
  return out;
}

/** The sorted class folders of a training folder (at least two). */
export async function classFolders(root: string): Promise<string[]> {
  const classes = await subfolders(root);
  if (classes.length < 2)
    throw new DataError(root, `needs at least two class folders (<class>/<image>.png|jpg); found ${classes.length}`);
  return classes;
}

/** How the pictures of a folder dataset are read, decided by its first picture and the options. */
export async function folderReading(firstFile: string, trainRoot: string, o: FolderOptions): Promise<FolderReading> {
  const firstBytes = await readFile(firstFile);
  // An unreadable first picture fails with the decoder's own message, naming the file.
  const head =
    (await readPictureHeader(firstBytes, { where: { shard: firstFile, record: 0 } }).catch(() => null)) ??
    decodeImage(firstBytes, o.channels, firstFile);
  const mode = o.pictures ?? 'auto';
  const encoded =
    mode === 'encoded' ||
    (mode === 'auto' && o.channels === 3 && o.size === null && Math.max(head.width, head.height) > 64);
  if (encoded && o.channels !== 3)
    throw new DataError(trainRoot, 'encoded pictures are read as RGB: set channels: 3, or pictures: pixels');
  return { ...o, shape: o.size ?? [head.height, head.width], encoded };
}

async function labeledFolder(
  root: string,
  classNames: string[] | null,
): Promise<{ files: string[]; labels: Int32Array; classNames: string[] }> {
  const classes: string[] = [];
  for (const e of await listDir(root)) if ((await stat(join(root, e))).isDirectory()) classes.push(e);
  const names = classNames ?? classes;
  if (names.length < 2)
    throw new DataError(root, `needs at least two class folders (<class>/<image>.png|jpg); found ${names.length}`);
  const files: string[] = [];
  const labels: number[] = [];
  for (const c of classes) {
    const k = names.indexOf(c);
    if (k < 0)
      throw new DataError(join(root, c), `class folder '${c}' is not among the training classes (${names.join(', ')})`);
    for (const f of await listImages(join(root, c))) {
      files.push(f);
      labels.push(k);
    }
  }
  if (files.length === 0) throw new DataError(root, 'contains no .png or .jpg images');
  return { files, labels: Int32Array.from(labels), classNames: names };
}

export async function openImageFolder(
  train: string,
  test: string,
  unlabeled: string | null,
  o: FolderOptions,
): Promise<SourceDataset> {
  const tr = await labeledFolder(train, null);
  const te = await labeledFolder(test, tr.classNames);
  const opts = await folderReading(tr.files[0], train, o);
  const shape = opts.shape;
  const encoded = opts.encoded;
  const unl = unlabeled ? await listImages(unlabeled) : null;
  return {
    name: 'image-folder',
    kind: 'image',
    shape: [shape[0], shape[1], o.channels],
    encoded,
    classNames: tr.classNames,
    train: folderSplit(tr.files, tr.labels, train, opts),
    test: folderSplit(te.files, te.labels, test, opts),
    unlabeled: unl ? folderSplit(unl, null, unlabeled!, opts) : null,
  };
}
