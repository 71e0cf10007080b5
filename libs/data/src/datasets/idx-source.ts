// IDX pairs (MNIST family) as a source dataset, and Fashion-MNIST found on disk: the Debian
// package dataset-fashion-mnist, a download cache, or (for real users, never in tests) its public URL.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { DataError } from '@noisy/core';
import { readIdx, type IdxArray } from '../idx.js';
import { classCountOf } from './labels.js';
import type { SourceDataset, SplitSource } from './source.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_MNIST_URL = 'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion';
const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

function split(images: IdxArray, labels: IdxArray, prefix: string, paths: [string, string]): SplitSource {
  if (images.shape[0] !== labels.shape[0])
    throw new DataError(paths[1], `has ${labels.shape[0]} labels but ${paths[0]} has ${images.shape[0]} images`);
  const [n, h, w] = images.shape;
  const c = images.shape[3] ?? 1;
  const size = h * w * c;
  return {
    count: n,
    labels: Int32Array.from(labels.data),
    get: async (i) => ({
      id: `${prefix}-${String(i).padStart(6, '0')}`,
      label: labels.data[i],
      image: { height: h, width: w, channels: c, data: images.data.subarray(i * size, (i + 1) * size) },
    }),
  };
}

export interface IdxPaths {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

export async function openIdxSource(name: string, p: IdxPaths, classNames: string[] | null): Promise<SourceDataset> {
  // Read in parallel, but report the first bad file in declaration order so the error is stable.
  const settled = await Promise.allSettled(
    [p.trainImages, p.trainLabels, p.testImages, p.testLabels].map((f) => readIdx(f)),
  );
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [ti, tl, vi, vl] = settled.map((s) => (s as PromiseFulfilledResult<IdxArray>).value);
  if (ti.shape.length < 3)
    throw new DataError(p.trainImages, `expected images [N, H, W] or [N, H, W, C]; got shape [${ti.shape}]`);
  const classes = classCountOf(tl.data, vl.data);
  const names = classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  if (names.length < classes)
    throw new DataError(p.trainLabels, `labels reach ${classes - 1} but only ${names.length} class names were given`);
  return {
    name,
    kind: 'image',
    shape: [ti.shape[1], ti.shape[2], ti.shape[3] ?? 1],
    classNames: names,
    train: split(ti, tl, 'train', [p.trainImages, p.trainLabels]),
    test: split(vi, vl, 'test', [p.testImages, p.testLabels]),
    unlabeled: null,
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The first directory holding all four files (plain or .gz). */
async function findIdxDir(dirs: string[]): Promise<string | null> {
  for (const d of dirs) {
    const ok = await Promise.all(FILES.map(async (f) => (await exists(join(d, `${f}.gz`))) || exists(join(d, f))));
    if (ok.every(Boolean)) return d;
  }
  return null;
}

const fileIn = async (dir: string, f: string) =>
  (await exists(join(dir, `${f}.gz`))) ? join(dir, `${f}.gz`) : join(dir, f);

export interface FashionMnistOptions {
  /** Explicit directory (experiment's data.source.dir). */
  dir: string | null;
  /** Where downloads are cached. @default ~/.cache/noisy/fashion-mnist */
  cacheDir?: string;
  /** Download when no local copy exists (off in tests). */
  allowDownload: boolean;
}

export async function openFashionMnist(o: FashionMnistOptions): Promise<SourceDataset> {
  const cache = o.cacheDir ?? join(homedir(), '.cache', 'noisy', 'fashion-mnist');
  const candidates = o.dir ? [o.dir] : [FASHION_MNIST_DEBIAN_DIR, cache];
  let dir = await findIdxDir(candidates);
  if (!dir && !o.dir && o.allowDownload) {
    await mkdir(cache, { recursive: true });
    for (const f of FILES) {
      const res = await fetch(`${FASHION_MNIST_URL}/${f}.gz`).catch((cause) => {
        throw new DataError(`${FASHION_MNIST_URL}/${f}.gz`, `download failed: ${(cause as Error).message}`, undefined, {
          cause,
        });
      });
      if (!res.ok) throw new DataError(`${FASHION_MNIST_URL}/${f}.gz`, `download failed: HTTP ${res.status}`);
      await writeFile(join(cache, `${f}.gz`), new Uint8Array(await res.arrayBuffer()));
    }
    dir = cache;
  }
  if (!dir) {
    throw new DataError(
      o.dir ?? FASHION_MNIST_DEBIAN_DIR,
      `Fashion-MNIST not found in ${candidates.join(' or ')}; install the Debian package dataset-fashion-mnist, set data.source.dir, or allow the download`,
    );
  }
  return openIdxSource(
    'fashion-mnist',
    {
      trainImages: await fileIn(dir, FILES[0]),
      trainLabels: await fileIn(dir, FILES[1]),
      testImages: await fileIn(dir, FILES[2]),
      testLabels: await fileIn(dir, FILES[3]),
    },
    FASHION_MNIST_CLASSES,
  );
}
