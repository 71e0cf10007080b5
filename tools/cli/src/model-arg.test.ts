import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@noisy/platform';
import { displayKey, locateModel } from './model-arg.js';

describe('--model', () => {
  const store = new MemoryObjectStore();
  let base = '';
  let folder = ''; // relative to the working directory, not starting with ./
  beforeAll(async () => {
    await store.put('runs/r1/gen-1/model/meta.json', '{}');
    await mkdir(resolve('test-output'), { recursive: true });
    base = await mkdtemp(resolve('test-output', 'model-arg-'));
    await mkdir(join(base, 'runs', 'r2', 'gen-1', 'model'), { recursive: true });
    await writeFile(join(base, 'runs', 'r2', 'gen-1', 'model', 'meta.json'), '{}');
    folder = relative(process.cwd(), join(base, 'runs', 'r2', 'gen-1', 'model'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('locateModel - a key in the store stays a key (with or without /meta.json or a trailing slash)', async () => {
    for (const v of ['runs/r1/gen-1/model', 'runs/r1/gen-1/model/', 'runs/r1/gen-1/model/meta.json'])
      expect(await locateModel(store, v)).toEqual({ store, prefix: 'runs/r1/gen-1/model' });
  });

  it('locateModel - a folder on disk opens a file store beside it, relative, ./, absolute or file://', async () => {
    for (const v of [folder, `./${folder}`, resolve(folder), `file://${resolve(folder)}`]) {
      const where = await locateModel(store, v);
      expect(where.prefix).toBe('model');
      expect(where.store.url).toBe(`file://${resolve(folder, '..')}`);
      expect(await where.store.head('model/meta.json')).not.toBeNull();
    }
  });

  it('locateModel - neither a key nor a folder stays a key, so the loader names the missing key', async () => {
    expect(await locateModel(store, 'runs/nope/gen-1/model')).toEqual({ store, prefix: 'runs/nope/gen-1/model' });
  });

  it('displayKey - file stores show paths (relative below here), other stores their URL', () => {
    expect(displayKey(store, 'runs/r1/summary.json')).toBe('memory:///runs/r1/summary.json');
    expect(displayKey({ url: `file://${resolve('x')}` } as MemoryObjectStore, 'runs/a')).toBe('x/runs/a');
    expect(displayKey({ url: 'file:///elsewhere' } as MemoryObjectStore, 'runs/a')).toBe('/elsewhere/runs/a');
  });
});
