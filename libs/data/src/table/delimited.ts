// Delimited text (CSV/TSV, RFC 4180 quoting) parsed into rows of fields, each row with the
// 1-based line it starts on, so that every later error can name `file:line`.
import { DataError } from '@noisy/core';

export interface TextRow {
  line: number;
  fields: string[];
}

/** Split `text` into rows; blank lines are skipped; quotes may span lines; `""` is a quote. */
export function parseDelimited(text: string, delimiter: string, where: string, quote = '"'): TextRow[] {
  const rows: TextRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1,
    rowLine = 1;
  let quoted = false,
    wasQuoted = false;
  const endField = () => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRow = () => {
    endField();
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          field += quote;
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === quote && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (ch === delimiter) {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw new DataError(`${where}:${rowLine}`, 'a quoted field is never closed');
  if (field !== '' || fields.length) endRow();
  return rows;
}

/** Delimiter by extension unless given: tab for .tsv, comma otherwise. */
export function delimiterFor(path: string, given: string | null): string {
  return given ?? (/\.tsv(\.gz)?$/i.test(path) ? '\t' : ',');
}
