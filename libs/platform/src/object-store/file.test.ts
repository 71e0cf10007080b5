// The file store's durability: every put fsyncs the file and each directory it changed; head
// tells "absent" from an I/O error.
import { mkdtemp, open, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArtifactError } from '@noisy/core';
import { FileObjectStore } from './file.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Count FileHandle.sync calls (file and directory fsyncs) made while `fn` runs. */
async function syncsDuring(fn: () => Promise<void>): Promise<number> {
  const probe = await open(tmpdir(), 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const spy = vi.spyOn(proto, 'sync');
  await fn();
  const n = spy.mock.calls.length;
  spy.mockRestore();
  return n;
}

describe('file object store', () => {
  it('FileObjectStore.put - fsyncs the file and its directory, and every directory it created', async () => {
    const store = await new FileObjectStore(await mkdtemp(join(tmpdir(), 'fstore-'))).open();
    // New directories a/b/c: the file, c (the rename), then b, a and the root (the new entries).
    expect(await syncsDuring(() => store.put('a/b/c/x.json', '{"x":1}'))).toBe(5);
    // Existing directory: the file and its directory.
    expect(await syncsDuring(() => store.put('a/b/c/y.json', '{"y":2}'))).toBe(2);
    expect(new TextDecoder().decode(await store.get('a/b/c/y.json'))).toBe('{"y":2}');
    expect(await store.list('a/')).toEqual(['a/b/c/x.json', 'a/b/c/y.json']);
  });

  it('FileObjectStore.head - absent is null; an I/O error is a retryable ArtifactError, not "absent"', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fstore-'));
    const store = await new FileObjectStore(root).open();
    await store.put('runs/r/file', 'x');
    expect(await store.head('runs/r/file')).toEqual({ key: 'runs/r/file', size: 1 });
    expect(await store.head('runs/r/missing')).toBeNull();
    expect(await store.head('runs/r/file/below')).toBeNull(); // ENOTDIR: cannot exist either
    await symlink('loop', join(root, 'runs', 'r', 'loop')); // stat: ELOOP
    const err = await store.head('runs/r/loop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as ArtifactError).retryable).toBe(true);
    expect((err as ArtifactError).message).toMatch(/^runs\/r\/loop: cannot stat .*ELOOP/);
  });

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

  it('FileObjectStore.putStream - fsyncs like put', async () => {
    const store = await new FileObjectStore(await mkdtemp(join(tmpdir(), 'fstore-'))).open();
    expect(await syncsDuring(() => store.putStream('a/b/c/x.bin', [Uint8Array.from([1])]))).toBe(5);
  });
});
