import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileObjectStore } from './file.js';

describe('file object store', () => {
  it('file store - putStream leaves only the object on success and nothing, not even a temp file, on failure', async () => {
    const root = await mkdtemp(join(tmpdir(), 'file-store-'));
    const s = await new FileObjectStore(root).open();
    await s.putStream('runs/a/ok.bin', [Uint8Array.from([1, 2]), Uint8Array.from([3])]);
    const failing = async function* () {
      yield new Uint8Array(1 << 20);
      throw new Error('source broke');
    };
    await expect(s.putStream('runs/a/bad.bin', failing())).rejects.toThrow(/source broke/);
    expect(await readdir(join(root, 'runs', 'a'))).toEqual(['ok.bin']);
    expect(Array.from(await s.get('runs/a/ok.bin'))).toEqual([1, 2, 3]);
  });
});
