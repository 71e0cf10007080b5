import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeExample, int64Feature, bytesFeature } from '../example.js';
import { encodePng } from '../image.js';
import { encodeTFRecords } from '../tfrecord.js';
import { openImageFolder } from './folder-source.js';
import { openIdxSource } from './idx-source.js';
import { classCountOf } from './labels.js';
import { openTFRecordSource } from './tfrecord-source.js';

// Past ~150,000 elements `Math.max(...labels)` throws RangeError; these sizes would have.
const N = 210_000;
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'labels-'));
  dirs.push(d);
  return d;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function idxBytes(shape: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const dv = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((s, i) => dv.setUint32(4 + 4 * i, s, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

describe('labels', () => {
  it('classCountOf - counts classes over 1.3M labels without a stack overflow', () => {
    const labels = new Int32Array(1_281_167).map((_, i) => i % 1000);
    labels[777_777] = 1234;
    expect(classCountOf(labels, [5])).toBe(1235);
    expect(classCountOf([], new Int32Array(0))).toBe(0);
  });

  it('idx source - opens a set with 210,000 training labels', async () => {
    const dir = await tmp();
    const labels = new Uint8Array(N).map((_, i) => (i * 7) % 13);
    await writeFile(join(dir, 'ti'), idxBytes([N, 1, 1], new Uint8Array(N)));
    await writeFile(join(dir, 'tl'), idxBytes([N], labels));
    await writeFile(join(dir, 'vi'), idxBytes([3, 1, 1], new Uint8Array(3)));
    await writeFile(join(dir, 'vl'), idxBytes([3], Uint8Array.from([0, 1, 2])));
    const src = await openIdxSource(
      'big',
      {
        trainImages: join(dir, 'ti'),
        trainLabels: join(dir, 'tl'),
        testImages: join(dir, 'vi'),
        testLabels: join(dir, 'vl'),
      },
      null,
    );
    expect(src.train.count).toBe(N);
    expect(src.classNames.length).toBe(13);
  });

  it('tfrecord source - opens 210,000 labeled records in two shards', async () => {
    const dir = await tmp();
    const png = encodePng({ height: 2, width: 2, channels: 1, data: new Uint8Array(4) });
    const record = (label: number) =>
      encodeExample({ 'image/encoded': bytesFeature(png), 'image/class/label': int64Feature(label) });
    const half = N / 2;
    for (const s of [0, 1]) {
      const recs = Array.from({ length: half }, (_, i) => record(1 + ((s * half + i) % 101)));
      await writeFile(join(dir, `train-0000${s}-of-00002`), encodeTFRecords(recs));
    }
    await writeFile(join(dir, 'validation-00000-of-00001'), encodeTFRecords([record(102)]));
    const src = await openTFRecordSource({ dir, unlabeledDir: null, channels: 1, classNames: null });
    expect(src.train.count).toBe(N);
    expect(src.classNames.length).toBe(102);
    expect(src.train.labels?.[half + 1]).toBe((half + 1) % 101);
  }, 60_000);

  it('image folder - lists nested unlabeled images (appended, not spread) in sorted order', async () => {
    const dir = await tmp();
    const png = encodePng({ height: 2, width: 2, channels: 1, data: new Uint8Array(4) });
    const put = async (path: string) => {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), png);
    };
    for (const f of ['train/a/1.png', 'train/b/1.png', 'test/a/1.png', 'test/b/1.png']) await put(f);
    for (const f of ['extra/x/2.png', 'extra/x/deep/3.png', 'extra/1.png', 'extra/notes.txt']) await put(f);
    const src = await openImageFolder(join(dir, 'train'), join(dir, 'test'), join(dir, 'extra'), {
      size: null,
      channels: 1,
    });
    expect(src.unlabeled?.count).toBe(3);
    const ids = await Promise.all([0, 1, 2].map(async (i) => (await src.unlabeled!.get(i)).id));
    expect(ids.map((id) => id.replace(/.*extra\//, ''))).toEqual(['1.png', 'x/2.png', 'x/deep/3.png']);
  });
});
