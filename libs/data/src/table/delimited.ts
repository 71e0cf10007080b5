// Delimited text (CSV/TSV, RFC 4180 quoting) parsed by csv-parse into rows of fields, each row
// with the 1-based line it starts on, so that every later error can name `file:line`. Files are
// streamed (no whole-file string, so no limit near V8's 512 MiB string cap); a UTF-8 byte order
// mark is dropped instead of becoming part of the first header.
import type { Readable } from 'node:stream';
import { DataError } from '@noisy/core';
import { CsvError, parse, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

export interface TextRow {
  line: number;
  fields: string[];
}

const optionsFor = (delimiter: string, quote: string): Options => ({
  delimiter,
  quote,
  bom: true,
  info: true, // the line each record ends on, for line numbers
  record_delimiter: ['\r\n', '\n', '\r'], // any mix (auto-detection takes the first line's only)
  relax_quotes: true, // a quote inside an unquoted field is a character, as before
  relax_column_count: true, // ragged rows are reported by readTable, with their line
  skip_empty_lines: true,
  trim: true, // around unquoted fields; quoted whitespace is kept
});

const breaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

type Parsed = { record: string[]; info: { lines: number } };

/** Turns csv-parse's records into rows with the line they start on; drops blank rows. */
class RowLines {
  private ended = 0; // the line the last record ended on
  constructor(private readonly where: string) {}
  row(r: Parsed): TextRow | null {
    this.ended = r.info.lines;
    // A record ends on `lines`; only quoted fields hold line breaks, so it starts that many lines up.
    const line = r.info.lines - r.record.reduce((a, f) => a + breaks(f), 0);
    return r.record.length === 1 && r.record[0] === '' ? null : { line, fields: r.record };
  }
  error(cause: unknown): unknown {
    if (!(cause instanceof CsvError)) return cause;
    const what = cause.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted field is never closed' : cause.message;
    return new DataError(`${this.where}:${this.ended + 1}`, what, undefined, { cause });
  }
}

/** Split `text` into rows; blank lines are skipped; quotes may span lines; `""` is a quote. */
export function parseDelimited(text: string, delimiter: string, where: string, quote = '"'): TextRow[] {
  const lines = new RowLines(where);
  const rows: TextRow[] = [];
  const onRecord = (r: Parsed) => {
    const row = lines.row(r);
    if (row) rows.push(row);
    return null; // counted as it comes, so an error names the line its record starts on
  };
  try {
    parseSync(text, { ...optionsFor(delimiter, quote), on_record: onRecord } as unknown as Options);
  } catch (cause) {
    throw lines.error(cause);
  }
  return rows;
}

/** Parse a stream of delimited text (a file, or its gunzip) into rows, without holding the text. */
export async function readDelimited(source: Readable, delimiter: string, where: string): Promise<TextRow[]> {
  const lines = new RowLines(where);
  const rows: TextRow[] = [];
  const parser = source.pipe(parse(optionsFor(delimiter, '"')));
  source.on('error', (err) => parser.destroy(err));
  try {
    for await (const r of parser as AsyncIterable<Parsed>) {
      const row = lines.row(r);
      if (row) rows.push(row);
    }
  } catch (cause) {
    throw lines.error(cause);
  }
  return rows;
}

/** Delimiter by extension unless given: tab for .tsv, comma otherwise. */
export function delimiterFor(path: string, given: string | null): string {
  return given ?? (/\.tsv(\.gz)?$/i.test(path) ? '\t' : ',');
}
