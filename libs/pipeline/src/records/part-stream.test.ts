import { describe, expect, it } from 'vitest';
import { ArtifactError, DataError, sha256Hex } from '@noisy/core';
import { encodeTFRecords } from '@noisy/data';
import { MemoryObjectStore } from '@noisy/platform';
import { putRecords, readRecords, type Part } from './manifest.js';

// 300 records of 1 KiB: 300 KiB, several of the memory store's 64 KiB chunks.
const records = Array.from({ length: 300 }, (_, i) => new Uint8Array(1024).fill(i % 256));

async function drain(store: MemoryObjectStore, part: Part): Promise<number[]> {
  const firstBytes: number[] = [];
  for await (const r of readRecords(store, part)) firstBytes.push(r[0]);
  return firstBytes;
}

describe('part streams', () => {
  it('putRecords - describes the part as readRecords verifies it: sha256, bytes, records', async () => {
    const store = new MemoryObjectStore();
    const part = await putRecords(store, 'runs/r/p.tfrecord', records);
    const whole = encodeTFRecords(records);
    expect(part).toEqual({ key: 'runs/r/p.tfrecord', sha256: sha256Hex(whole), bytes: whole.length, records: 300 });
    expect(await drain(store, part)).toEqual(records.map((r) => r[0]));
  });

  it('readRecords - a changed object fails with an ArtifactError naming the key, however it changed', async () => {
    const store = new MemoryObjectStore();
    const part = await putRecords(store, 'runs/r/p.tfrecord', records);
    // Same length, valid framing, other content: only the sha256 can tell.
    await putRecords(
      store,
      'runs/r/p.tfrecord',
      records.map((r) => r.map((b) => b ^ 1)),
    );
    await expect(drain(store, part)).rejects.toThrow(ArtifactError);
    await expect(drain(store, part)).rejects.toThrow(/runs\/r\/p\.tfrecord: .*sha256 differs/);
    // Longer than its manifest: fails as soon as the excess arrives.
    await putRecords(store, 'runs/r/p.tfrecord', [...records, records[0]]);
    await expect(drain(store, part)).rejects.toThrow(/more than \d+ bytes/);
    // A manifest that counts other records than the part holds.
    await putRecords(store, 'runs/r/p.tfrecord', records);
    await expect(drain(store, { ...part, records: 301 })).rejects.toThrow(/300 records, the manifest says 301/);
  });

  it('readRecords - a corrupt record is a DataError naming key and record; a missing part an ArtifactError', async () => {
    const store = new MemoryObjectStore();
    const whole = encodeTFRecords(records);
    whole[16 + 1024 + 12 + 5] ^= 0xff; // a data byte of record 1
    await store.put('runs/r/bad.tfrecord', whole);
    const part = { key: 'runs/r/bad.tfrecord', sha256: sha256Hex(whole), bytes: whole.length, records: 300 };
    const err = await drain(store, part).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/runs\/r\/bad\.tfrecord \(record 1\): data CRC mismatch/);
    await expect(drain(store, { ...part, key: 'runs/r/none' })).rejects.toThrow(/runs\/r\/none: no such object/);
  });

  it('putRecords - a source that throws leaves no part', async () => {
    const store = new MemoryObjectStore();
    const failing = function* () {
      yield records[0];
      throw new DataError('shard-0', 'bad image', 1);
    };
    await expect(putRecords(store, 'runs/r/q.tfrecord', failing())).rejects.toThrow(DataError);
    expect(await store.head('runs/r/q.tfrecord')).toBeNull();
  });
});
