// Write rows as CSV or JSON lines, chosen by the output file's extension; streamed line by line.
import { createWriteStream, type WriteStream } from 'node:fs';
import { ConfigError } from '@noisy/core';

export type Row = Record<string, string | number>;

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export class RowsFile {
  private readonly stream: WriteStream;
  private readonly format: 'csv' | 'jsonl';
  private header: string[] | null = null;

  constructor(readonly path: string) {
    if (/\.csv$/i.test(path)) this.format = 'csv';
    else if (/\.jsonl$/i.test(path)) this.format = 'jsonl';
    else throw new ConfigError('--out', `'${path}' must end in .csv or .jsonl`);
    this.stream = createWriteStream(path);
  }

  write(row: Row): void {
    if (this.format === 'jsonl') { this.stream.write(`${JSON.stringify(row)}\n`); return; }
    if (!this.header) { this.header = Object.keys(row); this.stream.write(`${this.header.join(',')}\n`); }
    this.stream.write(`${this.header.map((k) => csvCell(row[k] ?? '')).join(',')}\n`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
