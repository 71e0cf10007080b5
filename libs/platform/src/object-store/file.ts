// Filesystem object store (the embedded default). Writes go to a temp file, fsync'ed, renamed into
// place and the directory fsync'ed, so a crash (even of the machine) never leaves a partial object
// under its final key, nor loses a put that returned (a manifest must not outlive its parts).
// Streams read and write in 1 MiB chunks.
import { mkdir, open, readFile, readdir, rename, rm, stat, access, constants, link } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ArtifactError, ConfigError } from '@noisy/core';
import { checkKey, checkRange, type ByteSource, type ObjectInfo, type ObjectStore } from './port.js';

let tmpCounter = 0;

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The new entry lives in its directory; directories mkdir just made (`created`) live in their parents. */
async function syncCreated(file: string, created: string | undefined): Promise<void> {
  await syncDir(dirname(file));
  if (created) for (let d = dirname(file); d !== dirname(created); d = dirname(d)) await syncDir(dirname(d));
}

function readError(key: string, cause: unknown): ArtifactError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new ArtifactError(key, code === 'ENOENT' ? 'no such object' : `cannot read: ${code}`, {
    cause,
    retryable: code !== 'ENOENT',
  });
}

export class FileObjectStore implements ObjectStore {
  readonly url: string;
  constructor(readonly root: string) {
    this.url = `file://${root}`;
  }

  /** Check that the root exists (or can be created) and is writable. */
  async open(): Promise<this> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK | constants.R_OK);
    } catch (cause) {
      throw new ConfigError(
        '--store',
        `work directory ${this.root} is not readable and writable: ${(cause as Error).message}`,
        { cause },
      );
    }
    return this;
  }

  private path(key: string): string {
    checkKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.write(key, async (handle) => {
      await handle.writeFile(body);
    });
  }
  async putStream(key: string, source: ByteSource): Promise<void> {
    await this.write(key, async (handle) => {
      for await (const chunk of source) await handle.write(chunk);
    });
  }
  /** Temp file, fsync, rename, fsync of the directory (and of parents of directories just made). */
  private async write(key: string, fill: (handle: FileHandle) => Promise<void>): Promise<void> {
    const file = this.path(key);
    const created = await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${tmpCounter++}`;
    const handle = await open(tmp, 'w');
    try {
      await fill(handle);
      await handle.sync();
      await handle.close();
    } catch (err) {
      // The source (or the disk) failed: leave nothing behind, neither the object nor the temp file.
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, file);
    await syncCreated(file, created);
  }
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const file = this.path(key);
    const created = await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${tmpCounter++}`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // link() fails with EEXIST when the key is taken, atomically: the whole file or nothing.
      await link(tmp, file);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new ArtifactError(key, `cannot create: ${(cause as NodeJS.ErrnoException).code}`, {
        cause,
        retryable: true,
      });
    } finally {
      await rm(tmp, { force: true });
    }
    await syncCreated(file, created);
    return true;
  }
  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.path(key));
    } catch (cause) {
      throw readError(key, cause);
    }
  }
  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const fh = await open(this.path(key), 'r').catch((cause) => {
      throw readError(key, cause);
    });
    const stream = fh.createReadStream({ highWaterMark: 1 << 20 }); // closes fh when it ends or is destroyed
    return (async function* () {
      try {
        for await (const chunk of stream) yield chunk as Uint8Array;
      } catch (cause) {
        throw readError(key, cause);
      } finally {
        stream.destroy();
      }
    })();
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(key, offset, length);
    const fh = await open(this.path(key), 'r').catch((cause) => {
      throw readError(key, cause);
    });
    try {
      const out = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(out, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < length) throw new ArtifactError(key, `range ${offset}+${length} is past the object's end`);
      return out;
    } catch (cause) {
      throw cause instanceof ArtifactError ? cause : readError(key, cause);
    } finally {
      await fh.close();
    }
  }
  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.path(key);
    try {
      const s = await stat(path);
      return s.isFile() ? { key, size: s.size } : null;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      // Absent: no such file, or a parent that is a file. Anything else is not "absent" (a step
      // would be redone, or skipped, on a disk error): report it.
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new ArtifactError(key, `cannot stat ${path}: ${code}`, { cause, retryable: true });
    }
  }
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!e.name.includes('.tmp-')) out.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    // Walk only the deepest directory the prefix names, not the whole store.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(dirPart ? join(this.root, ...dirPart.split('/')) : this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }
  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
