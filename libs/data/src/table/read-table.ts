// Read one table file into a header and rows: CSV/TSV (header row, or c0..cN without one) or
// ARFF (declared columns), either optionally gzipped.
import { readFile } from 'node:fs/promises';
import { DataError, excerpt } from '@noisy/core';
import { gunzipCapped } from '../gzip.js';
import { parseArff, type DeclaredColumn } from './arff.js';
import { delimiterFor, parseDelimited, type TextRow } from './delimited.js';

export interface RawTable {
  /** The file, for errors. */
  where: string;
  header: string[];
  rows: TextRow[];
  /** Column types the file declares (ARFF); null for CSV (inferred). */
  declared: DeclaredColumn[] | null;
}

export interface ReadTableOptions {
  delimiter: string | null;
  header: boolean;
  /** Cap on a .gz file's inflated size. @default MAX_INFLATED_BYTES (1 GiB) */
  maxInflatedBytes?: number;
}

async function readText(path: string, maxInflatedBytes?: number): Promise<string> {
  const bytes = await readFile(path).catch((cause) => {
    throw new DataError(path, `cannot read table: ${(cause as NodeJS.ErrnoException).code}`, undefined, { cause });
  });
  if (!/\.gz$/i.test(path)) return bytes.toString('utf8');
  return gunzipCapped(bytes, path, maxInflatedBytes).toString('utf8');
}

export async function readTable(path: string, o: ReadTableOptions): Promise<RawTable> {
  const text = await readText(path, o.maxInflatedBytes);
  if (/\.arff(\.gz)?$/i.test(path)) {
    const { columns, rows } = parseArff(text, path);
    return checkRagged({ where: path, header: columns.map((c) => c.name), rows, declared: columns });
  }
  const rows = parseDelimited(text, delimiterFor(path, o.delimiter), path);
  if (!rows.length) throw new DataError(path, 'is empty');
  const header = o.header ? rows.shift()!.fields : rows[0].fields.map((_, i) => `c${i}`);
  const seen = new Set<string>();
  for (const h of header) {
    if (!h) throw new DataError(`${path}:1`, 'the header has an empty column name');
    if (seen.has(h)) throw new DataError(`${path}:1`, `the header names column '${excerpt(h)}' twice`);
    seen.add(h);
  }
  return checkRagged({ where: path, header, rows, declared: null });
}

function checkRagged(t: RawTable): RawTable {
  if (!t.rows.length) throw new DataError(t.where, 'has no data rows (empty dataset)');
  for (const r of t.rows) {
    if (r.fields.length !== t.header.length) {
      throw new DataError(
        `${t.where}:${r.line}`,
        `row has ${r.fields.length} fields but the header has ${t.header.length} columns (ragged row)`,
      );
    }
  }
  return t;
}
