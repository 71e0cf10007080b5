// A record index: the length of every record of a TFRecord part (and, for labeled parts, its
// label), stored beside the data as `indexes/<sha256 of the part>.idx` (`.labeled.idx` with labels), so that training finds
// where each record lies without reading the part (record-table.ts): ImageNet's labeled split is
// about 140 GB of pictures and 10 MB of index. Records are contiguous, so offsets are the running
// sum of 16 + length. Keyed by content, an index serves every part with the same bytes: source
// files read in place, every generation's training, every run of the dataset. The filter writes
// the index of its output as it writes it; training writes the one of a part it had to scan.
// Loading checks the index against its part (record count, and the lengths against the byte
// count); an index that does not match is ignored (the part is scanned again), and every record
// read still checks its own CRC.
import { indexKeys } from '@noisy/contracts';
import type { ObjectStore } from '@noisy/platform';
import type { Part } from './manifest.js';

const MAGIC = 0x5849534e; // "NSIX" little-endian
const HEADER = 16; // magic, version, record count, flags (1: labels follow the lengths)

export interface RecordIndex {
  /** Length of each record's data. */
  lengths: Int32Array;
  /** 0-based label of each record (labeled parts). */
  labels: Int32Array | null;
}

export function encodeIndex(index: RecordIndex): Uint8Array {
  const n = index.lengths.length;
  const out = new Uint8Array(HEADER + 4 * n * (index.labels ? 2 : 1));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, n, true);
  dv.setUint32(12, index.labels ? 1 : 0, true);
  new Int32Array(out.buffer, HEADER, n).set(index.lengths);
  if (index.labels) new Int32Array(out.buffer, HEADER + 4 * n, n).set(index.labels);
  return out;
}

/** The index of `part` if its bytes describe that part, else null. */
export function decodeIndex(bytes: Uint8Array, part: Pick<Part, 'records' | 'bytes'>): RecordIndex | null {
  if (bytes.length < HEADER) return null;
  const copy = Uint8Array.from(bytes); // aligned for the Int32Array views
  const dv = new DataView(copy.buffer);
  const n = dv.getUint32(8, true);
  const hasLabels = dv.getUint32(12, true) === 1;
  if (dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== 1 || n !== part.records) return null;
  if (copy.length !== HEADER + 4 * n * (hasLabels ? 2 : 1)) return null;
  const lengths = new Int32Array(copy.buffer, HEADER, n);
  let total = 0;
  for (const l of lengths) {
    if (l < 0) return null;
    total += 16 + l;
  }
  if (total !== part.bytes) return null;
  return { lengths, labels: hasLabels ? new Int32Array(copy.buffer, HEADER + 4 * n, n) : null };
}

/** The stored index of `part` (with labels when `wantLabels`), or null: none, or not this part's. */
export async function readIndex(store: ObjectStore, part: Part, wantLabels: boolean): Promise<RecordIndex | null> {
  const keys = wantLabels
    ? [indexKeys.labeled(part.sha256)]
    : [indexKeys.part(part.sha256), indexKeys.labeled(part.sha256)];
  for (const key of keys) {
    if (!(await store.head(key))) continue;
    const index = decodeIndex(await store.get(key), part);
    if (index && (!wantLabels || index.labels)) return index;
  }
  return null;
}

/**
 * Store the index of `part` unless one is there (write-once, as every key). Best effort: an index
 * only saves a later reader a scan, so a failed write is not the caller's failure.
 */
export async function writeIndex(store: ObjectStore, part: Part, index: RecordIndex): Promise<void> {
  const key = index.labels ? indexKeys.labeled(part.sha256) : indexKeys.part(part.sha256);
  try {
    await store.putIfAbsent(key, encodeIndex(index));
  } catch {
    // A later training scans the part instead.
  }
}

/** Lengths (and labels) of records as they are written, for `writeIndex`. */
export class IndexRecorder {
  private lengths = new Int32Array(1024);
  private labels: Int32Array | null;
  private n = 0;
  constructor(withLabels = false) {
    this.labels = withLabels ? new Int32Array(1024) : null;
  }
  add(length: number, label?: number): void {
    if (this.n === this.lengths.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.lengths = grow(this.lengths);
      if (this.labels) this.labels = grow(this.labels);
    }
    this.lengths[this.n] = length;
    if (this.labels) this.labels[this.n] = label ?? -1;
    this.n++;
  }
  index(): RecordIndex {
    return { lengths: this.lengths.slice(0, this.n), labels: this.labels?.slice(0, this.n) ?? null };
  }
}
