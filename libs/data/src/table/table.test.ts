import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseArff } from './arff.js';
import { parseDelimited } from './delimited.js';
import { encodeTable, fitTableEncoding, type FitOptions } from './encoding.js';
import { readTable } from './read-table.js';

const opts: FitOptions = {
  label: null,
  id: null,
  columns: {},
  missing: ['', 'NA', '?'],
  classNames: null,
  maxCategories: 10,
  field: 'data.source',
};

describe('table files', () => {
  it('parses RFC 4180 quoting: delimiters, doubled quotes and newlines inside quotes, CRLF, line numbers', () => {
    const rows = parseDelimited('a,b,c\r\n"x, y","say ""hi""",3\n\n"multi\nline",2,1\n', ',', 't.csv');
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', '3'] },
      { line: 4, fields: ['multi\nline', '2', '1'] },
    ]);
    expect(() => parseDelimited('a,b\n"open,1\n', ',', 't.csv')).toThrow(/t\.csv:2: a quoted field is never closed/);
  });

  it('reads the ARFF header as the schema and its rows with their file lines', () => {
    const { columns, rows } = parseArff(
      "% c\n@relation r\n@attribute 'a b' numeric\n@attribute kind {x,'y z'}\n@attribute class {p,q}\n@data\n1.5,x,p\n?,'y z',q\n",
      'r.arff',
    );
    expect(columns).toEqual([
      { name: 'a b', type: 'numeric' },
      { name: 'kind', type: 'categorical', values: ['x', 'y z'] },
      { name: 'class', type: 'categorical', values: ['p', 'q'] },
    ]);
    expect(rows).toEqual([
      { line: 7, fields: ['1.5', 'x', 'p'] },
      { line: 8, fields: ['?', 'y z', 'q'] },
    ]);
  });

  it('infers numeric and categorical columns, fills gaps with the mean plus an indicator, one-hots categories', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'table-'));
    const path = join(dir, 'train.csv.gz');
    await writeFile(path, gzipSync('id,age,color,label\nr1,10,red,yes\nr2,,blue,no\nr3,30,red,\nr4,20,NA,no\n'));
    const t = await readTable(path, { delimiter: null, header: true });
    const enc = fitTableEncoding(t, { ...opts, id: 'id' });
    expect(enc.label).toBe('label');
    expect(enc.classNames).toEqual(['no', 'yes']);
    expect(enc.featureNames).toEqual(['age', 'age=missing', 'color=blue', 'color=red']);
    const rows = encodeTable(enc, t, false, 'train.csv');
    expect(rows.map((r) => [r.id, r.label, Array.from(r.features)])).toEqual([
      ['r1', 1, [10, 0, 0, 1]],
      ['r2', 0, [20, 1, 1, 0]],
      ['r3', undefined, [30, 0, 0, 1]],
      ['r4', 0, [20, 0, 0, 0]],
    ]);
  });

  it('names file, line and column for ragged rows, NaN, non-numbers, unknown labels and missing columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'table-'));
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    await expect(
      readTable(await write('r.csv', 'a,b,label\n1,2,x\n1,2\n'), { delimiter: null, header: true }),
    ).rejects.toThrow(/r\.csv:3: row has 2 fields but the header has 3 columns \(ragged row\)/);
    await expect(readTable(await write('e.csv', 'a,b,label\n'), { delimiter: null, header: true })).rejects.toThrow(
      /e\.csv: has no data rows/,
    );
    const t = await readTable(await write('n.csv', 'a,b,label\n1,2,x\nNaN,3,y\n'), { delimiter: null, header: true });
    const enc = fitTableEncoding(t, opts);
    expect(enc.columns[0]).toMatchObject({ name: 'a', type: 'numeric' });
    expect(() => encodeTable(enc, t, false, 'n')).toThrow(/n\.csv:3: column 'a': 'NaN' is not a finite number/);
    const test = await readTable(await write('t.csv', 'b,a,label\n2,1,z\n'), { delimiter: null, header: true });
    expect(() => encodeTable(enc, test, true, 't')).toThrow(/t\.csv:2: label 'z' is not one of the classes \(x, y\)/);
    const noCol = await readTable(await write('m.csv', 'a,label\n1,x\n'), { delimiter: null, header: true });
    expect(() => encodeTable(enc, noCol, true, 'm')).toThrow(/m\.csv: has no column 'b'/);
    const many = await readTable(
      await write('c.csv', `name,label\n${Array.from({ length: 12 }, (_, i) => `n${i},${i % 2}`).join('\n')}\n`),
      { delimiter: null, header: true },
    );
    expect(() => fitTableEncoding(many, opts)).toThrow(
      /data\.source\.columns\.name: column 'name' of .*c\.csv has 12 distinct values/,
    );
    expect(() => fitTableEncoding(many, { ...opts, label: 'klass' })).toThrow(
      /data\.source\.label: column 'klass' is not in/,
    );
  });

  it('streams CSV through csv-parse: a byte order mark is dropped, gzip and CRLF read, lines counted, errors named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'table-'));
    const text = '\uFEFFid,a,label\r\nr1,1,x\r\n\r\n"r2\nwrapped",2,y\r\nr3, 3 ,x\r\n';
    await writeFile(join(dir, 'b.csv.gz'), gzipSync(Buffer.from(text, 'utf8')));
    const t = await readTable(join(dir, 'b.csv.gz'), { delimiter: null, header: true });
    expect(t.header).toEqual(['id', 'a', 'label']);
    expect(t.rows).toEqual([
      { line: 2, fields: ['r1', '1', 'x'] },
      { line: 4, fields: ['r2\nwrapped', '2', 'y'] },
      { line: 6, fields: ['r3', '3', 'x'] },
    ]);
    await writeFile(join(dir, 'q.csv'), 'a,label\n1,x\n"2,y\n3,x\n');
    await expect(readTable(join(dir, 'q.csv'), { delimiter: null, header: true })).rejects.toThrow(
      /q\.csv:3: a quoted field is never closed/,
    );
    await expect(readTable(join(dir, 'none.csv'), { delimiter: null, header: true })).rejects.toThrow(
      /none\.csv: cannot read table: ENOENT/,
    );
    await writeFile(join(dir, 'z.csv.gz'), 'a,label\n1,x\n');
    await expect(readTable(join(dir, 'z.csv.gz'), { delimiter: null, header: true })).rejects.toThrow(
      /z\.csv\.gz: is not valid gzip/,
    );
  });
});
