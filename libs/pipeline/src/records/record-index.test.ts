// Record indexes as bytes, derived by hand from the layout in record-index.ts: a 16-byte header
// (magic "NSIX", version 1, count, flags) then one int32 length per record (and one label). An
// index that does not add up to its part must read as null, never as a wrong table.
import { describe, expect, it } from 'vitest';
import { indexKeys } from '@noisy/contracts';
import { MemoryObjectStore } from '@noisy/platform';
import { IndexRecorder, decodeIndex, encodeIndex, readIndex, writeIndex } from './record-index.js';
import type { Part } from './manifest.js';

/** Header + int32 words, little-endian, as a writer of the format would lay them out. */
function bytesOf(words: number[]): Uint8Array {
  const out = new Uint8Array(4 * words.length);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setInt32(4 * i, w, true));
  return out;
}
const MAGIC = 0x5849534e;

describe('record index', () => {
  it('record index - encodes the documented layout and decodes it back for the part it describes', () => {
    // records of 10 and 20 bytes: the part is (16 + 10) + (16 + 20) = 62 bytes
    const bytes = encodeIndex({ lengths: Int32Array.from([10, 20]), labels: Int32Array.from([3, 1]) });
    expect(Array.from(bytes)).toEqual(Array.from(bytesOf([MAGIC, 1, 2, 1, 10, 20, 3, 1])));
    const index = decodeIndex(bytes, { records: 2, bytes: 62 });
    expect(index && Array.from(index.lengths)).toEqual([10, 20]);
    expect(index && index.labels && Array.from(index.labels)).toEqual([3, 1]);
    const plain = decodeIndex(bytesOf([MAGIC, 1, 2, 0, 10, 20]), { records: 2, bytes: 62 });
    expect(plain?.labels).toBeNull();
    // an empty part has a header-only index
    expect(decodeIndex(bytesOf([MAGIC, 1, 0, 0]), { records: 0, bytes: 0 })?.lengths).toHaveLength(0);
  });

  it('record index - anything that does not add up to its part reads as null', () => {
    const part = { records: 2, bytes: 62 };
    expect(decodeIndex(bytesOf([MAGIC, 1, 2]), part)).toBeNull(); // shorter than the header
    expect(decodeIndex(bytesOf([MAGIC + 1, 1, 2, 0, 10, 20]), part)).toBeNull(); // magic
    expect(decodeIndex(bytesOf([MAGIC, 2, 2, 0, 10, 20]), part)).toBeNull(); // version
    expect(decodeIndex(bytesOf([MAGIC, 1, 3, 0, 10, 20]), part)).toBeNull(); // count != the manifest's
    // three records that add up to the part's 62 bytes, where the manifest says two
    expect(decodeIndex(bytesOf([MAGIC, 1, 3, 0, 4, 5, 5]), part)).toBeNull();
    expect(decodeIndex(bytesOf([MAGIC, 1, 2, 0, 10]), part)).toBeNull(); // cut short
    expect(decodeIndex(bytesOf([MAGIC, 1, 2, 1, 10, 20]), part)).toBeNull(); // labels flagged, missing
    expect(decodeIndex(bytesOf([MAGIC, 1, 2, 0, 10, 21]), part)).toBeNull(); // lengths != bytes
    // a negative length whose sum still matches: (16 - 1) + (16 + 31) = 62
    expect(decodeIndex(bytesOf([MAGIC, 1, 2, 0, -1, 31]), part)).toBeNull();
  });

  it('record index - readIndex takes a labeled index for any reader, a plain one only without labels wanted', async () => {
    const store = new MemoryObjectStore();
    const part = { key: 'p', sha256: 'a'.repeat(64), bytes: 62, records: 2 } as Part;
    await writeIndex(store, part, { lengths: Int32Array.from([10, 20]), labels: null });
    expect(await store.head(indexKeys.part(part.sha256))).not.toBeNull();
    expect(await readIndex(store, part, true)).toBeNull();
    expect(Array.from((await readIndex(store, part, false))!.lengths)).toEqual([10, 20]);
    // an index without labels stored under the labeled key does not serve a labeled reader
    await store.put(indexKeys.labeled(part.sha256), bytesOf([MAGIC, 1, 2, 0, 10, 20]));
    expect(await readIndex(store, part, true)).toBeNull();
    const other = { ...part, sha256: 'b'.repeat(64) };
    await writeIndex(store, other, { lengths: Int32Array.from([10, 20]), labels: Int32Array.from([0, 1]) });
    expect(Array.from((await readIndex(store, other, false))!.labels!)).toEqual([0, 1]);
    expect(Array.from((await readIndex(store, other, true))!.labels!)).toEqual([0, 1]);
  });

  it('IndexRecorder - grows past its first 1,024 records keeping lengths and labels; no label is -1', () => {
    const r = new IndexRecorder(true);
    for (let i = 0; i < 2500; i++) r.add(i, i % 7 === 0 ? undefined : i % 5);
    const { lengths, labels } = r.index();
    expect(lengths).toHaveLength(2500);
    expect(lengths[2499]).toBe(2499);
    expect(lengths[1024]).toBe(1024);
    expect(labels![0]).toBe(-1);
    expect(labels![2048]).toBe(2048 % 5);
    expect(labels![2498]).toBe(2498 % 5);
    expect(labels![2499]).toBe(-1); // 2499 = 7 * 357
    const plain = new IndexRecorder();
    for (let i = 0; i < 1500; i++) plain.add(i);
    expect(plain.index().lengths[1499]).toBe(1499);
    expect(plain.index().labels).toBeNull();
  });
});
