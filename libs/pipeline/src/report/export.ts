// What users asked the original for: the filtered pseudo-labeled set with each example's id,
// teacher class, confidence, copies kept and its class's threshold (the "clean set"). The labeled
// examples whose given label looks wrong (the "noisy instances") are in label-issues.ts.
import { thresholdOf } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { decodeSample } from '@noisy/data';
import type { ObjectStore } from '@noisy/platform';
import { readRecords } from '../records/manifest.js';
import { loadRunView } from '../records/run-view.js';
import { readManifest } from '../stages/manifests.js';

export interface FilteredRow {
  id: string;
  teacherClass: number;
  className: string;
  confidence: number;
  copies: number;
  threshold: number;
  shard: number;
}

/** The filtered set of generation g (g >= 1), one row per unique example, in shard order. */
export async function exportFiltered(store: ObjectStore, runId: string, g: number): Promise<FilteredRow[]> {
  const { info, shards: S } = await loadRunView(store, runId);
  const thresholds = (await readManifest(store, runKeys.thresholds(runId, g), 'filter-thresholds')).data;
  const rows: FilteredRow[] = [];
  for (let s = 0; s < S; s++) {
    const m = await readManifest(store, runKeys.filteredManifest(runId, g, s, S), 'filter-output');
    const byId = new Map<string, FilteredRow>();
    let i = 0;
    for await (const rec of readRecords(store, m.parts[0])) {
      const x = decodeSample(rec, m.parts[0].key, i++, 1);
      const row = byId.get(x.id);
      if (row) {
        row.copies++;
        continue;
      }
      const label = x.label!;
      byId.set(x.id, {
        id: x.id,
        teacherClass: label,
        className: info.classNames[label],
        confidence: x.probabilities![label],
        copies: 1,
        threshold: thresholdOf(thresholds.classes[label].bin),
        shard: s,
      });
    }
    const shardRows = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of shardRows) rows.push(r); // no spread: a shard can hold millions of rows
  }
  return rows;
}
