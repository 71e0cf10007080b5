// Write rows as CSV or JSON lines, chosen by the output file's extension; streamed line by line
// into `<out>.partial`, renamed to `<out>` only when the command finished: a failed command
// leaves no output that looks complete.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
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
    this.stream = createWriteStream(`${path}.partial`);
  }

  /** Append a row; resolves once the stream can take more, so a fast producer never buffers the whole file in memory. */
  async write(row: Row): Promise<void> {
    let line: string;
    if (this.format === 'jsonl') line = `${JSON.stringify(row)}\n`;
    else {
      if (!this.header) {
        this.header = Object.keys(row);
        line = `${this.header.join(',')}\n`;
      } else line = '';
      line += `${this.header.map((k) => csvCell(row[k] ?? '')).join(',')}\n`;
    }
    if (!this.stream.write(line)) await once(this.stream, 'drain');
  }

  private async end(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }

  /** Finish the file and put it in place. */
  async commit(): Promise<void> {
    await this.end();
    await rename(`${this.path}.partial`, this.path);
  }

  /** Drop what was written (the command failed). */
  async discard(): Promise<void> {
    await this.end().catch(() => undefined);
    await rm(`${this.path}.partial`, { force: true });
  }

  /** Run `write` over the rows, then commit; discard on any error. */
  async writeAll(produce: () => Promise<void>): Promise<void> {
    try {
      await produce();
    } catch (err) {
      await this.discard();
      throw err;
    }
    await this.commit();
  }
}
