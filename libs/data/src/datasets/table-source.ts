// A table dataset (CSV/TSV/ARFF): the encoding is fitted on the training file; training rows
// with a label are the labeled pool, rows without one (and an optional unlabeled file) are
// unlabeled; the test split is a file or a seeded hold-out of the labeled training rows.
import { basename } from 'node:path';
import { createRng, shuffleInPlace, type DataSource } from '@noisy/core';
import { encodeTable, fitTableEncoding, type EncodedRow, type TableEncoding } from '../table/encoding.js';
import { readTable } from '../table/read-table.js';
import type { SourceDataset, SplitSource } from './source.js';

type TableSpec = Extract<DataSource, { kind: 'table' }>;

function split(rows: EncodedRow[], labeled: boolean): SplitSource {
  return {
    count: rows.length,
    labels: labeled ? Int32Array.from(rows, (r) => r.label!) : null,
    get: async (i) => ({ id: rows[i].id, features: rows[i].features, label: rows[i].label }),
  };
}

export async function openTableSource(
  spec: TableSpec,
  seed: number,
  field = 'data.source',
): Promise<SourceDataset & { encoding: TableEncoding }> {
  const read = (path: string) => readTable(path, { delimiter: spec.delimiter, header: spec.header });
  const train = await read(spec.train);
  const encoding = fitTableEncoding(train, { ...spec, field });
  const trainRows = encodeTable(encoding, train, false, basename(spec.train));
  let labeled = trainRows.filter((r) => r.label !== undefined);
  const unlabeled = trainRows.filter((r) => r.label === undefined);
  let test: EncodedRow[];
  if (spec.test) {
    test = encodeTable(encoding, await read(spec.test), true, basename(spec.test));
  } else {
    const order = labeled.map((_, i) => i);
    shuffleInPlace(order, createRng(seed).fork('table-test-split'));
    const held = new Set(order.slice(0, Math.round(labeled.length * spec.testFraction)));
    test = labeled.filter((_, i) => held.has(i));
    labeled = labeled.filter((_, i) => !held.has(i));
  }
  if (spec.unlabeled)
    unlabeled.push(
      ...encodeTable(encoding, await read(spec.unlabeled), false, basename(spec.unlabeled)).map((r) => ({
        ...r,
        label: undefined,
      })),
    );
  return {
    name: basename(spec.train).replace(/\.(csv|tsv|arff)(\.gz)?$/i, ''),
    kind: 'tabular',
    shape: [encoding.featureNames.length],
    classNames: encoding.classNames,
    train: split(labeled, true),
    test: split(test, true),
    unlabeled: unlabeled.length ? split(unlabeled, false) : null,
    encoding,
  };
}
