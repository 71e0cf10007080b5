import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeExample, openTFRecordSource, readPictureHeader, readTFRecordFile } from '@noisy/data';
import { generateImageNetLike, renderPicture } from './generate.js';
import { createRng } from '@noisy/core';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('imagenet-gen', () => {
  it("generateImageNetLike - writes the original's shard layout and features, readable by the TFRecord source", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inet-'));
    dirs.push(dir);
    const r = await generateImageNetLike({
      dir,
      classes: 101,
      trainPerClass: 2,
      validationPerClass: 1,
      trainShards: 3,
      seed: 4,
      sides: [150, 220],
    });
    expect((await readdir(dir)).sort()).toEqual([
      'train-00000-of-00003',
      'train-00001-of-00003',
      'train-00002-of-00003',
      'validation-00000-of-00001',
    ]);
    expect([r.train.records, r.validation.records]).toEqual([202, 101]);
    const labels = new Set<number>();
    let n = 0;
    for await (const rec of readTFRecordFile(join(dir, 'train-00001-of-00003'))) {
      const ex = decodeExample(rec);
      const label = ex['image/class/label'];
      const enc = ex['image/encoded'];
      if (label.kind !== 'int64' || enc.kind !== 'bytes') throw new Error('wrong feature kinds');
      labels.add(label.value[0]);
      const head = await readPictureHeader(enc.value[0], { where: { shard: 'train-00001', record: n } });
      expect(head.format).toBe('jpeg');
      expect([ex['image/width'], ex['image/height']]).toEqual([
        { kind: 'int64', value: [head.width] },
        { kind: 'int64', value: [head.height] },
      ]);
      expect(head.width).toBeGreaterThanOrEqual(150);
      expect(head.height).toBeLessThanOrEqual(220);
      expect(ex['image/format']).toEqual({ kind: 'bytes', value: [new TextEncoder().encode('JPEG')] });
      n++;
    }
    expect(n).toBe(67);
    expect(Math.min(...labels)).toBeGreaterThanOrEqual(1); // 1-based
    expect(Math.max(...labels)).toBeLessThanOrEqual(101);
    const src = await openTFRecordSource({ dir, unlabeledDir: null, channels: 3, classNames: null });
    expect([src.train.count, src.test.count, src.classNames.length]).toEqual([202, 101, 101]);
  });

  it('renderPicture - classes look different, pictures of a class vary', () => {
    expect(renderPicture(3, 64, 48, createRng(1)).data).toEqual(renderPicture(3, 64, 48, createRng(1)).data);
    expect(renderPicture(3, 64, 48, createRng(1)).data).not.toEqual(renderPicture(3, 64, 48, createRng(2)).data);
    expect(renderPicture(3, 64, 48, createRng(1)).data).not.toEqual(renderPicture(4, 64, 48, createRng(1)).data);
  });
});
