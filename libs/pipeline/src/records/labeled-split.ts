// The labeled split read whole (label issues hold it in memory; training indexes it instead, see
// record-table.ts): its parts in manifest order, one per ingest write task or source `train-*` file read in place. Each record
// keeps its part's key and its index there, so an error names the shard and record it came from.
import type { Sample } from '@noisy/data';
import type { RunView } from './run-view.js';

export interface LabeledSplit {
  samples: Sample[];
  /** Labels of `samples`, each checked to lie in [0, classes). */
  labels: Int32Array;
  /** The samples of each part with its key (what `pictureList` takes). */
  parts: Array<{ samples: Sample[]; shard: string }>;
  /** Where sample i was read: its part's key and its record there. */
  where(i: number): { shard: string; record: number };
  /** The split's name in messages: its one part's key, or the first and how many more. */
  name: string;
}

export async function readLabeled(run: RunView): Promise<LabeledSplit> {
  const parts: LabeledSplit['parts'] = [];
  const labels: Int32Array[] = [];
  for (const part of run.info.labeled) {
    const samples = await run.samples(part);
    labels.push(run.labels(samples, part.key));
    parts.push({ samples, shard: part.key });
  }
  const samples = parts.flatMap((p) => p.samples);
  const all = new Int32Array(samples.length);
  const first = new Int32Array(parts.length); // index of each part's first sample
  let o = 0;
  labels.forEach((l, p) => {
    all.set(l, o);
    first[p] = o;
    o += l.length;
  });
  return {
    samples,
    labels: all,
    parts,
    where(i) {
      let p = parts.length - 1;
      while (p > 0 && first[p] > i) p--;
      return { shard: parts[p].shard, record: i - first[p] };
    },
    name: labeledName(run),
  };
}

/** The labeled split's name in messages. */
export function labeledName(run: Pick<RunView, 'info'>): string {
  const l = run.info.labeled;
  if (l.length === 1) return l[0].key;
  return l.length ? `${l[0].key} and ${l.length - 1} more labeled parts` : 'the labeled split (no parts)';
}
