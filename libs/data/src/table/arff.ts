// Weka's ARFF: an `@attribute` header that declares every column (numeric, or a nominal set in
// its order) followed by `@data` rows in CSV form with `?` for missing values. The declared
// types become the table's schema; sparse ARFF ({index value, ...}) is not supported.
import { DataError, excerpt } from '@noisy/core';
import { parseDelimited, type TextRow } from './delimited.js';

export interface DeclaredColumn {
  name: string;
  type: 'numeric' | 'categorical' | 'text';
  values?: string[];
}

const unquote = (s: string) => s.trim().replace(/^'(.*)'$|^"(.*)"$/, (_, a, b) => a ?? b);

export function parseArff(text: string, where: string): { columns: DeclaredColumn[]; rows: TextRow[] } {
  const lines = text.split(/\r?\n/);
  const columns: DeclaredColumn[] = [];
  let dataLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l || l.startsWith('%')) continue;
    const lower = l.toLowerCase();
    if (lower.startsWith('@relation')) continue;
    if (lower.startsWith('@data')) {
      dataLine = i;
      break;
    }
    if (!lower.startsWith('@attribute'))
      throw new DataError(`${where}:${i + 1}`, `expected @attribute or @data, got '${excerpt(l)}'`);
    const m = /^@attribute\s+('[^']*'|"[^"]*"|\S+)\s+(.+)$/i.exec(l);
    if (!m) throw new DataError(`${where}:${i + 1}`, 'malformed @attribute line');
    const name = unquote(m[1]);
    const type = m[2].trim();
    if (type.startsWith('{')) {
      if (!type.endsWith('}'))
        throw new DataError(`${where}:${i + 1}`, `nominal attribute '${excerpt(name)}' is missing its closing }`);
      columns.push({ name, type: 'categorical', values: type.slice(1, -1).split(',').map(unquote) });
    } else if (/^(numeric|real|integer)$/i.test(type)) columns.push({ name, type: 'numeric' });
    else if (/^(string|date)/i.test(type)) columns.push({ name, type: 'text' });
    else
      throw new DataError(`${where}:${i + 1}`, `attribute '${excerpt(name)}' has unsupported type '${excerpt(type)}'`);
  }
  if (dataLine < 0) throw new DataError(where, 'no @data section: not an ARFF file');
  if (!columns.length) throw new DataError(where, 'declares no @attribute');
  const body = lines
    .slice(dataLine + 1)
    .map((l) => (l.trim().startsWith('%') ? '' : l))
    .join('\n');
  const rows = parseDelimited(body, ',', where, "'").map((r) => ({ line: r.line + dataLine + 1, fields: r.fields }));
  if (rows.some((r) => r.fields[0]?.startsWith('{'))) throw new DataError(where, 'sparse ARFF rows are not supported');
  return { columns, rows };
}
