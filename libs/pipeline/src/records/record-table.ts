// Where every record of a list of TFRecord parts lies (part, byte offset, length), so that training
// on encoded pictures reads the records of each step with ranged reads instead of holding the
// split in memory: 12 bytes per record (16 with labels), about 20 MB for ImageNet's 1.28M labeled
// pictures where their bytes are about 140 GB. The table comes from each part's stored record
// index (record-index.ts) or, where there is none, from one streamed pass over the part, which
// also verifies it whole (sha256, byte and record counts, every CRC) and stores its index. Each
// read checks its record's data CRC, so a part changed since fails naming its record.
import { DataError } from '@noisy/core';
import { decodeSample, maskedCrc32c, sourceFileSize, type EncodedPicture, type Sample } from '@noisy/data';
import type { ObjectStore } from '@noisy/platform';
import type { PictureBatch, PictureSource } from './encoded-input.js';
import { partMismatch, readPartRange, readRecords, type Part } from './manifest.js';
import { IndexRecorder, readIndex, writeIndex } from './record-index.js';

/** Record reads in flight per `read` call (ranged GETs, positional file reads). */
const READS_IN_FLIGHT = 32;

export interface RecordTableOptions {
  /** Keep each record's 0-based label, checked to lie in [0, classes) (the labeled split). */
  labels?: boolean;
  /** Classes of the dataset: labels are checked against it, teacher distributions must have it. */
  classes: number;
  /** Bytes scanned so far of all parts' bytes (the pass reads every part once). */
  onProgress?: (done: number, total: number) => void;
}

/** Records of several parts, read one by one from the store (or the source files read in place). */
export class RecordTable implements PictureSource {
  /** Labels of the records (with `labels: true`). */
  readonly labels: Int32Array | null;
  private constructor(
    private readonly store: ObjectStore,
    private readonly parts: Part[],
    /** Index of each part's first record, and the total at the end: [parts + 1]. */
    private readonly first: Float64Array,
    /** Byte offset of each record's data (after its 12-byte header) in its part. */
    private readonly offset: Float64Array,
    /** Length of each record's data. */
    private readonly length: Int32Array,
    labels: Int32Array | null,
    private readonly classes: number,
  ) {
    this.labels = labels;
  }

  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * Run `read` once fewer than READS_IN_FLIGHT reads of this table are running: the steps read
   * ahead hold thousands of pictures, which must not open as many files (EMFILE) or S3
   * connections at once.
   */
  private async limited<T>(read: () => Promise<T>): Promise<T> {
    while (this.inFlight >= READS_IN_FLIGHT) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
    try {
      return await read();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  get count(): number {
    return this.offset.length;
  }

  /** Scan `parts` once (streamed, verified) and record where each record lies. */
  static async build(store: ObjectStore, parts: Part[], o: RecordTableOptions): Promise<RecordTable> {
    const total = parts.reduce((a, p) => a + p.records, 0);
    const first = new Float64Array(parts.length + 1);
    const offset = new Float64Array(total);
    const length = new Int32Array(total);
    const labels = o.labels ? new Int32Array(total) : null;
    const bytes = parts.reduce((a, p) => a + p.bytes, 0);
    let k = 0,
      scanned = 0,
      reported = 0;
    for (const [p, part] of parts.entries()) {
      first[p] = k;
      // A source read in place is checked where that is cheap: its size (a record read checks its CRC).
      if (part.file) {
        const size = await sourceFileSize(part.file, store);
        if (size !== part.bytes) throw partMismatch(part, size === null ? 'missing' : `${size} bytes now`);
      }
      // A stored index (written by the filter, or by an earlier scan of the same bytes) saves the pass.
      const stored = await readIndex(store, part, o.labels === true);
      if (stored) {
        let pos = 0;
        for (let i = 0; i < part.records; i++, k++) {
          offset[k] = pos + 12;
          length[k] = stored.lengths[i];
          if (labels) labels[k] = checkLabel(stored.labels![i], part, i, o.classes);
          pos += 16 + stored.lengths[i];
        }
        scanned += part.bytes;
        o.onProgress?.(scanned, bytes);
        continue;
      }
      const recorder = new IndexRecorder(labels !== null);
      let pos = 0,
        i = 0;
      // readRecords checks the count against the manifest, so k never passes `total`.
      for await (const rec of readRecords(store, part)) {
        offset[k] = pos + 12;
        length[k] = rec.length;
        if (labels) labels[k] = labelOf(rec, part, i, o.classes);
        recorder.add(rec.length, labels?.[k]);
        pos += 16 + rec.length;
        k++;
        i++;
        if (o.onProgress && scanned + pos - reported > 64 << 20) {
          reported = scanned + pos;
          o.onProgress(reported, bytes);
        }
      }
      scanned += part.bytes;
      await writeIndex(store, part, recorder.index());
    }
    first[parts.length] = k;
    o.onProgress?.(scanned, bytes);
    return new RecordTable(store, parts, first, offset, length, labels, o.classes);
  }

  /** The part record i lies in, and its index there. */
  where(i: number): { part: Part; record: number } {
    let lo = 0,
      hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.first[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return { part: this.parts[lo], record: i - this.first[lo] };
  }

  /** Record i decoded, its picture left encoded. */
  async sample(i: number): Promise<Sample> {
    const { part, record } = this.where(i);
    const n = this.length[i];
    const off = this.offset[i];
    const framed = await readPartRange(this.store, part, off, n + 4);
    const data = framed.subarray(0, n);
    if (new DataView(framed.buffer, framed.byteOffset + n, 4).getUint32(0, true) !== maskedCrc32c(data))
      throw partMismatch(part, `record ${record}: data CRC mismatch`);
    return decodeSample(data, part.key, record, 3, true);
  }

  /** Pictures `indices` and, for parts that carry them, the teacher's distributions [n, classes]. */
  async read(indices: Int32Array, withProbabilities = false): Promise<PictureBatch> {
    const samples = await Promise.all(Array.from(indices, (i) => this.limited(() => this.sample(i))));
    const C = this.classes;
    const probabilities = withProbabilities ? new Float32Array(indices.length * C) : undefined;
    const pictures = samples.map((s, k): EncodedPicture => {
      const { part, record } = this.where(indices[k]);
      const where = { shard: part.key, record };
      if (!s.encoded) throw new DataError(where.shard, 'record has no image/encoded picture', record);
      if (probabilities) {
        if (s.probabilities?.length !== C)
          throw new DataError(where.shard, `record has no teacher distribution over the ${C} classes`, record);
        probabilities.set(s.probabilities, k * C);
      }
      return { bytes: s.encoded, where };
    });
    return { pictures, probabilities };
  }
}

/** The 0-based label of a labeled record, checked against the classes. */
function labelOf(rec: Uint8Array, part: Part, record: number, classes: number): number {
  const label = decodeSample(rec, part.key, record, 3, true).label;
  if (label === undefined) throw new DataError(part.key, 'labeled record has no image/class/label', record);
  return checkLabel(label, part, record, classes);
}

function checkLabel(label: number, part: Part, record: number, classes: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= classes)
    throw new DataError(part.key, `label ${label + 1} is outside 1..${classes}`, record);
  return label;
}
