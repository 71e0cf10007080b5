// Live curves: progress events become scalars in the generation's event file as they arrive,
// readable at any moment (TensorBoard reads a growing file), under the name the final file has.
import { mkdir, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKeys, type ProgressEvent } from '@noisy/contracts';
import { decodeEventFile, eventFileName } from '@noisy/data';
import { FileObjectStore, MemoryObjectStore, putJson } from '@noisy/platform';
import { liveTensorBoard } from './live-tensorboard.js';

const step = (done: number, loss: number): ProgressEvent => ({
  runId: 'r1',
  taskId: 'r1:1:train:all',
  step: 'train',
  generation: 1,
  shard: -1,
  unit: 'steps',
  done,
  total: 10,
  loss,
  rate: 100 + done,
});

describe('live tensorboard', () => {
  it('liveTensorBoard - appends each training step to the event file the final write replaces', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'live-tb-'));
    const store = new FileObjectStore(dir);
    const created = '2026-12-08T01:00:00.000Z';
    await putJson(store, runKeys.experiment('r1'), { runId: 'r1', createdAt: created });
    const errors: unknown[] = [];
    const live = liveTensorBoard(store, 'r1', (e) => errors.push(e));
    const file = join(dir, runKeys.tensorboard('r1'), 'gen-1', eventFileName(Date.parse(created) / 1000, 'gen-1'));
    live.progress(step(1, 2.5));
    await live.settle();
    // readable after the first step: the version record and two scalars
    const first = decodeEventFile(await readFile(file), file);
    expect(first.scalars.map((s) => [s.tag, s.step, s.value])).toEqual([
      ['train/loss', 1, 2.5],
      ['train/images_per_second', 1, 101],
    ]);
    live.progress(step(2, 2));
    live.progress({ ...step(3, 1), step: 'predict' }); // not training: ignored
    live.progress({ ...step(3, 1), runId: 'other' }); // another run: ignored
    await live.settle();
    const second = decodeEventFile(await readFile(file), file);
    expect(second.version).toBe('brain.Event:2');
    expect(second.scalars.filter((s) => s.tag === 'train/loss').map((s) => s.value)).toEqual([2.5, 2]);
    expect(await readdir(join(dir, runKeys.tensorboard('r1')))).toEqual(['gen-1']);
    expect(errors).toEqual([]);
  });

  it('liveTensorBoard - a store that cannot be appended to (S3, memory) gets no live file and no error', async () => {
    const live = liveTensorBoard(new MemoryObjectStore(), 'r1', () => {
      throw new Error('no error expected');
    });
    live.progress(step(1, 1));
    await live.settle();
  });

  it('liveTensorBoard - a file that cannot be written is reported once, and the run goes on without live curves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'live-tb-'));
    const store = new FileObjectStore(dir);
    const created = '2026-12-08T01:00:00.000Z';
    await putJson(store, runKeys.experiment('r1'), { runId: 'r1', createdAt: created });
    // a folder where the event file should be: every append fails (EISDIR)
    await mkdir(join(dir, runKeys.tensorboard('r1'), 'gen-1', eventFileName(Date.parse(created) / 1000, 'gen-1')), {
      recursive: true,
    });
    const errors: unknown[] = [];
    const live = liveTensorBoard(store, 'r1', (e) => errors.push(e));
    for (let i = 1; i <= 5; i++) live.progress(step(i, 1 / i));
    await live.settle();
    expect(errors).toHaveLength(1);
  });
});
