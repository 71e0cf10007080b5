// Sources as parts: an image folder (one part per class folder, the same samples as the whole-folder
// reader), a TFRecord folder (one part per file, its digest the file's sha256), a source read into
// memory (one part per split).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, compileExperiment } from '@noisy/core';
import { bytesFeature, encodeExample, int64Feature } from '../example.js';
import { encodePng } from '../image.js';
import { encodeTFRecords } from '../tfrecord.js';
import { openImageFolder } from './folder-source.js';
import { openSourceParts, type FileDigest, type PartedSource } from './parts.js';

let dir = '';
const png = (v: number) => encodePng({ height: 4, width: 4, channels: 1, data: new Uint8Array(16).fill(v) });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parts-'));
  const put = async (path: string, bytes: Uint8Array) => {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), bytes);
  };
  for (const [c, n] of [
    ['ant', 3],
    ['bee', 1],
    ['cat', 2],
  ] as const)
    for (let i = 0; i < n; i++) await put(`train/${c}/${i}.png`, png(10 * i + c.length));
  await put('test/bee/0.png', png(7));
  await put('test/cat/0.png', png(8));
  await put('extra/a/0.png', png(9));
  await put('extra/1.png', png(11));
  const rec = (y: number) =>
    encodeExample({
      'image/raw': bytesFeature(Uint8Array.of(y, y, y)),
      'image/height': int64Feature(1),
      'image/width': int64Feature(1),
      'image/channels': int64Feature(3),
      'image/class/label': int64Feature(y + 1),
    });
  await put('tf/train-00000-of-00002', encodeTFRecords([rec(0), rec(1), rec(1)]));
  await put('tf/train-00001-of-00002', encodeTFRecords([rec(2)]));
  await put('tf/validation-00000-of-00001', encodeTFRecords([rec(0)]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const open = (source: Record<string, unknown>) =>
  openSourceParts(compileExperiment({ data: { source }, students: [{}] }).data.source, {
    seed: 0,
    allowDownload: false,
  });

async function all(src: PartedSource, p: number, onDigest?: (d: FileDigest) => void) {
  const out = [];
  for await (const r of src.records(p, onDigest)) out.push({ label: r.label, sample: await r.sample() });
  return out;
}

describe('source parts', () => {
  it('openSourceParts - an image folder is one part per class folder, with the samples the folder reader gives', async () => {
    const source = {
      kind: 'image-folder',
      train: join(dir, 'train'),
      test: join(dir, 'test'),
      unlabeled: join(dir, 'extra'),
    };
    const src = await open(source);
    expect(src.classNames).toEqual(['ant', 'bee', 'cat']);
    expect(src.parts.map((p) => `${p.split}:${p.name.slice(dir.length + 1)}`)).toEqual([
      'train:train/ant',
      'train:train/bee',
      'train:train/cat',
      'test:test/bee',
      'test:test/cat',
      'unlabeled:extra',
    ]);
    const whole = await openImageFolder(source.train, source.test, source.unlabeled, { size: null, channels: 3 });
    const train = [0, 1, 2].map((p) => all(src, p));
    const flat = (await Promise.all(train)).flat();
    expect(flat.map((r) => r.label)).toEqual(Array.from(whole.train.labels!));
    for (let i = 0; i < whole.train.count; i++) expect(flat[i].sample).toEqual(await whole.train.get(i));
    expect((await all(src, 4)).map((r) => [r.label, r.sample.id])).toEqual([[2, 'cat/0.png']]);
    expect((await all(src, 5)).map((r) => [r.label, r.sample.id])).toEqual([
      [null, '1.png'],
      [null, 'a/0.png'],
    ]);
  });

  it('openSourceParts - a test class folder unknown to training is a DataError naming it', async () => {
    await mkdir(join(dir, 'test2', 'dog'), { recursive: true });
    await expect(open({ kind: 'image-folder', train: join(dir, 'train'), test: join(dir, 'test2') })).rejects.toThrow(
      DataError,
    );
    await expect(open({ kind: 'image-folder', train: join(dir, 'train'), test: join(dir, 'test2') })).rejects.toThrow(
      /test2\/dog: class folder 'dog' is not among the training classes/,
    );
  });

  it("openSourceParts - a TFRecord folder is one part per file; a pass's digest is the file's size and sha256", async () => {
    const src = await open({ kind: 'tfrecord', dir: join(dir, 'tf') });
    expect(src.parts.map((p) => `${p.split}:${p.name.slice(dir.length + 1)}`)).toEqual([
      'train:tf/train-00000-of-00002',
      'train:tf/train-00001-of-00002',
      'test:tf/validation-00000-of-00001',
    ]);
    let digest: FileDigest | undefined;
    expect((await all(src, 0, (d) => (digest = d))).map((r) => r.label)).toEqual([0, 1, 1]);
    const bytes = await readFile(join(dir, 'tf/train-00000-of-00002'));
    expect(digest).toEqual({
      file: join(dir, 'tf/train-00000-of-00002'),
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('openSourceParts - a source read into memory is one part per split', async () => {
    const src = await open({ kind: 'synthetic', classes: 3, size: 4, train: 12, test: 6 });
    expect(src.parts).toEqual([
      { split: 'train', name: 'train [0, 12)' },
      { split: 'test', name: 'test [0, 6)' },
    ]);
    expect((await all(src, 1)).map((r) => r.label)).toEqual([0, 1, 2, 0, 1, 2]);
  });
});
