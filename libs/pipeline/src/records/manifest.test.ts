import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import { FileObjectStore, MemoryObjectStore, putJson, type ObjectStore } from '@noisy/platform';
import { attemptKey, isCommitted, newAttempt, putPart, readPart } from './manifest.js';
import { commitStep, readManifest, verifyCommit } from '../stages/manifests.js';

const KEY = 'runs/r/gen-1/filter/data/shard-00000-of-00001.manifest.json';
const PART = 'runs/r/gen-1/filter/data/shard-00000-of-00001.tfrecord';

/** A filter-output step that writes one part and counts how often it ran. */
function step(store: ObjectStore, runs: { n: number }) {
  return commitStep(store, KEY, 'filter-output', async () => {
    runs.n++;
    const part = await putPart(store, PART, Uint8Array.from([1, 2, 3, 4]), 2);
    return {
      parts: [part],
      counts: { kept: 2 },
      parents: [],
      config: { mode: 'balanced' },
      data: { keptPerClass: [2, 0], uniquePerClass: [1, 0] },
    };
  });
}

describe('manifest', () => {
  it('manifest - a dataset manifest from before the labeled split was a list reads its one labeled part as a list', async () => {
    const store = new MemoryObjectStore();
    const part = (key: string, records: number) => ({ key, sha256: 'a'.repeat(64), bytes: 10, records });
    const data = {
      datasetId: 'd',
      name: 'old',
      kind: 'image',
      shape: [2, 2, 1],
      classNames: ['a', 'b'],
      stats: { mean: [0], std: [1] },
      labeled: part('datasets/d/labeled/shard-00000-of-00001.tfrecord', 4),
      unlabeled: [part('datasets/d/unlabeled/shard-00000-of-00001.tfrecord', 6)],
      test: [],
    };
    const envelope = { kind: 'dataset', parts: [], counts: {}, parents: [], config: {}, timing: { seconds: 0 } };
    await putJson(store, 'datasets/d/manifest.json', { ...envelope, data });
    const m = await readManifest(store, 'datasets/d/manifest.json', 'dataset');
    expect(m.data.labeled).toEqual([data.labeled]);
    await putJson(store, 'datasets/e/manifest.json', {
      ...envelope,
      data: { ...data, labeled: [data.labeled, data.labeled] },
    });
    expect((await readManifest(store, 'datasets/e/manifest.json', 'dataset')).data.labeled).toHaveLength(2);
  });

  it('manifest - commitStep runs a step once, writes the manifest with kind and timing, then skips it', async () => {
    const store = new MemoryObjectStore();
    const runs = { n: 0 };
    expect(await step(store, runs)).toBe(KEY);
    expect(await step(store, runs)).toBe(KEY);
    expect(runs.n).toBe(1);
    const m = await readManifest(store, KEY, 'filter-output');
    expect(m.kind).toBe('filter-output');
    expect(m.data.keptPerClass).toEqual([2, 0]);
    expect(m.parts[0]).toMatchObject({ key: PART, bytes: 4, records: 2 });
    expect(m.timing.seconds).toBeGreaterThanOrEqual(0);
  });

  it('manifest - a part that fails its checksum withdraws the commit, and the rerun redoes the step', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
    try {
      for (const store of [new MemoryObjectStore(), new FileObjectStore(dir)]) {
        const runs = { n: 0 };
        await step(store, runs);
        await store.put(PART, Uint8Array.from([1, 2, 3, 5])); // same size, other content
        await step(store, runs);
        expect(runs.n).toBe(2);
        expect(await verifyCommit(store, KEY)).toBe(true);
        expect(Array.from(await store.get(PART))).toEqual([1, 2, 3, 4]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('manifest - verifyCommit withdraws a damaged commit (missing part, bad JSON), keeps intact ones', async () => {
    const store = new MemoryObjectStore();
    const runs = { n: 0 };
    await step(store, runs);
    expect(await verifyCommit(store, KEY)).toBe(true);
    await store.delete(PART);
    expect(await verifyCommit(store, KEY)).toBe(false);
    expect(await store.head(KEY)).toBeNull();
    await step(store, runs);
    await store.put(KEY, '{"kind": "filter-output", "parts": ['); // truncated
    expect(await verifyCommit(store, KEY)).toBe(false);
    await step(store, runs);
    expect(runs.n).toBe(3);
    expect(await verifyCommit(store, KEY)).toBe(true);
  });

  it('manifest - reading a manifest as another kind or with a bad field fails naming the key and field', async () => {
    const store = new MemoryObjectStore();
    await step(store, { n: 0 });
    await expect(readManifest(store, KEY, 'model')).rejects.toThrow(ArtifactError);
    await expect(readManifest(store, KEY, 'model')).rejects.toThrow(/shard-00000-of-00001\.manifest\.json: .* at kind/);
    const m = JSON.parse(new TextDecoder().decode(await store.get(KEY)));
    m.data.keptPerClass = [2, 'x'];
    await store.put(KEY, JSON.stringify(m));
    await expect(readManifest(store, KEY)).rejects.toThrow(/at data\.keptPerClass\.1/);
    await expect(readManifest(store, 'runs/r/absent.manifest.json')).rejects.toThrow(/manifest missing/);
  });

  it('manifest - commitStep with cache inputs reuses an earlier verified step and records where it came from', async () => {
    const store = new MemoryObjectStore();
    let ran = 0;
    const work = async () => {
      ran++;
      await new Promise((r) => setTimeout(r, 50));
      return {
        parts: [await putPart(store, `${PART}.${ran}`, Uint8Array.from([ran]), 1)],
        counts: {},
        parents: [],
        config: {},
        data: { keptPerClass: [1], uniquePerClass: [1] },
      };
    };
    const cache = { parents: [], config: { same: true } };
    const first = await commitStep(store, 'a/manifest.json', 'filter-output', work, cache);
    const m1 = await readManifest(store, first, 'filter-output');
    // 50 ms of work: seconds, not milliseconds, and not an absolute clock (bounds with 100x margin)
    expect(m1.timing.seconds).toBeGreaterThanOrEqual(0.04);
    expect(m1.timing.seconds).toBeLessThan(5);
    await commitStep(store, 'b/manifest.json', 'filter-output', work, cache);
    expect(ran).toBe(1);
    const m2 = await readManifest(store, 'b/manifest.json', 'filter-output');
    expect(m2.reusedFrom).toBe('a/manifest.json');
    expect(m2.parts).toEqual(m1.parts);
    expect(m2.timing.seconds).toBeLessThan(5);
    // a reuse of a reuse names the step that did the work
    await commitStep(store, 'c/manifest.json', 'filter-output', work, cache);
    expect((await readManifest(store, 'c/manifest.json', 'filter-output')).reusedFrom).toBe('a/manifest.json');
    // other inputs run the step
    await commitStep(store, 'd/manifest.json', 'filter-output', work, { parents: [], config: { same: false } });
    expect(ran).toBe(2);
    // a step without cache inputs never consults the cache
    await commitStep(store, 'e/manifest.json', 'filter-output', work);
    expect(ran).toBe(3);
  });

  it('manifest - a store fault while verifying is thrown, never taken for damage: the manifest stays', async () => {
    const store = new MemoryObjectStore();
    await step(store, { n: 0 });
    const faulty = Object.create(store) as ObjectStore;
    faulty.get = async () => {
      throw new Error('connection reset');
    };
    await expect(verifyCommit(faulty, KEY)).rejects.toThrow('connection reset');
    const retryable = Object.create(store) as ObjectStore;
    retryable.get = async (key: string) => {
      throw new ArtifactError(key, 'throttled', { retryable: true });
    };
    await expect(verifyCommit(retryable, KEY)).rejects.toThrow('throttled');
    expect(await isCommitted(store, KEY)).toBe(true);
    expect(await isCommitted(store, 'runs/none/manifest.json')).toBe(false);
    expect(await verifyCommit(store, 'runs/none/manifest.json')).toBe(false);
  });

  it('manifest - readPart returns a part whose bytes match, and names a changed one', async () => {
    const store = new MemoryObjectStore();
    const part = await putPart(store, PART, Uint8Array.from([1, 2, 3, 4]), 2);
    expect(Array.from(await readPart(store, part))).toEqual([1, 2, 3, 4]);
    await store.put(PART, Uint8Array.from([1, 2, 3, 5]));
    await expect(readPart(store, part)).rejects.toThrow(
      /shard-00000-of-00001.tfrecord.*content does not match its manifest/,
    );
    await store.put(PART, Uint8Array.from([1, 2, 3]));
    await expect(readPart(store, part)).rejects.toBeInstanceOf(ArtifactError);
  });

  it('manifest - attempt keys go before the first dot of the file name, not of the folders', () => {
    expect(attemptKey('runs/r.1/gen-1/shard-00001-of-00004.tfrecord', 'ab12cd34')).toBe(
      'runs/r.1/gen-1/shard-00001-of-00004.attempt-ab12cd34.tfrecord',
    );
    expect(attemptKey('runs/r.1/gen-1/model', 'ab12cd34')).toBe('runs/r.1/gen-1/model.attempt-ab12cd34');
    expect(attemptKey('.tfrecord', 'x')).toBe('.attempt-x.tfrecord');
    expect(attemptKey('runs/r./m.json', 'x')).toBe('runs/r./m.attempt-x.json'); // a dot just before the slash
    expect(newAttempt()).toMatch(/^[0-9a-f]{8}$/);
    expect(newAttempt()).not.toBe(newAttempt());
  });
});
