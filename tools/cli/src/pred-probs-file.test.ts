import { mkdtemp, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePredProbs } from './pred-probs-file.js';

const oos = {
  ids: ['a', 'b,c', 'd'],
  labels: Int32Array.from([0, 2, 1]),
  probs: Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.25, 0.5, 0.25]),
  classes: 3,
  classNames: ['x', 'y', 'z'],
  folds: 5,
};

/** Read a .npy back: its header dict and the data after it. */
function readNpy(bytes: Buffer): { header: string; data: Buffer } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
  const len = bytes.readUInt16LE(8);
  expect((10 + len) % 64).toBe(0);
  return { header: bytes.subarray(10, 10 + len).toString('latin1'), data: bytes.subarray(10 + len) };
}

describe('pred-probs file', () => {
  it('pred-probs file - .npy: float32 [N, C] pred_probs, int64 labels and the ids beside it', async () => {
    const dir = await mkdtemp(resolve('test-output', 'pred-probs-'));
    const files = await writePredProbs(join(dir, 'oos.npy'), oos);
    expect(files).toEqual(['oos.npy', 'oos.labels.npy', 'oos.ids.txt'].map((f) => join(dir, f)));
    const p = readNpy(await readFile(files[0]));
    expect(p.header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 3\), \} *\n$/);
    expect(
      Array.from(new Float32Array(p.data.buffer.slice(p.data.byteOffset, p.data.byteOffset + p.data.length))),
    ).toEqual(Array.from(oos.probs));
    const y = readNpy(await readFile(files[1]));
    expect(y.header).toMatch(/'descr': '<i8', 'fortran_order': False, 'shape': \(3,\)/);
    expect([0, 1, 2].map((i) => Number(y.data.readBigInt64LE(i * 8)))).toEqual([0, 2, 1]);
    expect(await readFile(files[2], 'utf8')).toBe('a\nb,c\nd\n');
  });

  it('pred-probs file - .csv: id, label and one probability column per class, ids quoted when needed', async () => {
    const dir = await mkdtemp(resolve('test-output', 'pred-probs-'));
    const [file] = await writePredProbs(join(dir, 'oos.csv'), oos);
    expect((await readFile(file, 'utf8')).split('\n')).toEqual([
      'id,label,p_0,p_1,p_2',
      'a,0,0.7,0.2,0.1',
      '"b,c",2,0.1,0.1,0.8',
      'd,1,0.25,0.5,0.25',
      '',
    ]);
  });
});
