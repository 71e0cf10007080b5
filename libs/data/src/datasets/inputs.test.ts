// What `noisy predict --input` reads: one picture, a folder, a TFRecord or IDX file, a table; and
// anything else refused naming what it accepts (it used to be read as IDX: "bad magic").
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '@noisy/core';
import { encodeJpeg, encodePng } from '../image.js';
import { readPredictInput } from './inputs.js';
import type { Sample } from '../sample.js';

const image = (v: number) => ({ height: 4, width: 6, channels: 3 as const, data: new Uint8Array(72).fill(v) });

async function all(path: string, input: Parameters<typeof readPredictInput>[1]): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of readPredictInput(path, input)) out.push(s);
  return out;
}

describe('predict inputs', () => {
  it('readPredictInput - a single PNG or JPEG is one example named by its file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inputs-'));
    const png = encodePng(image(200));
    await writeFile(join(dir, 'one-photo.png'), png);
    await writeFile(join(dir, 'photo.jpeg'), encodeJpeg(image(90), 95));
    const [p] = await all(join(dir, 'one-photo.png'), { shape: [4, 6, 3] });
    expect(p.id).toBe('one-photo.png');
    expect(p.image).toMatchObject({ height: 4, width: 6, channels: 3 });
    expect(p.image!.data[0]).toBe(200);
    const resized = await all(join(dir, 'photo.jpeg'), { shape: [2, 3, 3] });
    expect(resized.map((s) => [s.id, s.image!.height, s.image!.width])).toEqual([['photo.jpeg', 2, 3]]);
    const [e] = await all(join(dir, 'one-photo.png'), { shape: [4, 6, 3], pictures: 'encoded' });
    expect(Array.from(e.encoded!)).toEqual(Array.from(png));
  });

  it('readPredictInput - a file of another kind is a DataError naming the file and what is accepted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inputs-'));
    await writeFile(join(dir, 'exp.yaml'), 'name: x\n');
    const err = await all(join(dir, 'exp.yaml'), { shape: [4, 6, 3] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(
      /exp\.yaml.*not an input noisy predict reads: give a picture \(\.png, \.jpg\)/,
    );
    expect((err as Error).message).toContain('IDX image file');
  });

  it('readPredictInput - an IDX image file is still read by its magic', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inputs-'));
    // magic 0x00000803 (unsigned bytes, 3 dimensions), 2 images of 2x3
    const idx = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, ...new Array(12).fill(7)]);
    await writeFile(join(dir, 'images'), idx);
    const samples = await all(join(dir, 'images'), { shape: [2, 3, 1] });
    expect(samples.map((s) => [s.id, s.image!.data[0]])).toEqual([
      ['0', 7],
      ['1', 7],
    ]);
  });
});
