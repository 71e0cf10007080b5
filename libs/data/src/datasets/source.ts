// A labeled source dataset before ingest: its splits expose labels up front (to choose the
// labeled subset by class) and decode examples one at a time (memory bounded by what is asked).
import type { Sample } from '../sample.js';
import type { TableEncoding } from '../table/encoding.js';

export interface SplitSource {
  readonly count: number;
  /** 0-based class of every example (null for unlabeled-only splits). */
  readonly labels: Int32Array | null;
  /** Decode example i (its id is stable across runs). */
  get(i: number): Promise<Sample>;
}

export interface SourceDataset {
  /** Short name, part of the dataset id. */
  readonly name: string;
  readonly kind: 'image' | 'tabular';
  /** [H, W, C] or [D]; encoded datasets: the first picture's size (pictures vary). */
  readonly shape: number[];
  /**
   * Examples carry their encoded JPEG/PNG bytes (`Sample.encoded`, header checked) instead of
   * pixels: shards keep them and training crops them at each model's resolution.
   */
  readonly encoded?: boolean;
  readonly classNames: string[];
  readonly train: SplitSource;
  readonly test: SplitSource;
  /** Extra unlabeled examples (e.g. an image folder without classes). */
  readonly unlabeled: SplitSource | null;
  /** Table datasets: how rows become features (stored with every checkpoint for prediction). */
  readonly encoding?: TableEncoding;
}
