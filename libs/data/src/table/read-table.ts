// Read one table file into a header and rows: CSV/TSV (header row, or c0..cN without one),
// streamed through csv-parse, or ARFF (declared columns, read whole), either optionally gzipped.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataError, excerpt } from '@noisy/core';
import { MAX_INFLATED_BYTES, gunzipCapped } from '../gzip.js';
import { parseArff, type DeclaredColumn } from './arff.js';
import { delimiterFor, readDelimited, type TextRow } from './delimited.js';

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

/**
 * The file's bytes as a stream, gunzipped for .gz with the inflated size capped (a small crafted
 * file must not exhaust memory); read and gzip errors name the file.
 */
function openText(path: string, maxInflatedBytes = MAX_INFLATED_BYTES): Readable {
  const file = createReadStream(path);
  if (!/\.gz$/i.test(path)) return file;
  let inflated = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > maxInflatedBytes)
        done(new DataError(path, `inflates to more than ${maxInflatedBytes} bytes (the limit for gzipped input)`));
      else done(null, chunk);
    },
  });
  const gunzip = createGunzip();
  const out = file.pipe(gunzip).pipe(cap);
  file.on('error', (cause) => out.destroy(cause));
  gunzip.on('error', (cause) => out.destroy(cause));
  return out;
}

async function readRows(path: string, delimiter: string, maxInflatedBytes?: number): Promise<TextRow[]> {
  try {
    return await readDelimited(openText(path, maxInflatedBytes), delimiter, path);
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_')) throw new DataError(path, 'is not valid gzip', undefined, { cause });
    if (code) throw new DataError(path, `cannot read table: ${code}`, undefined, { cause });
    throw cause;
  }
}

export async function readTable(path: string, o: ReadTableOptions): Promise<RawTable> {
  if (/\.arff(\.gz)?$/i.test(path)) {
    const { columns, rows } = parseArff(await readText(path, o.maxInflatedBytes), path);
    return checkRagged({ where: path, header: columns.map((c) => c.name), rows, declared: columns });
  }
  const rows = await readRows(path, delimiterFor(path, o.delimiter), o.maxInflatedBytes);
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
