// Filesystem object store (the embedded default). Writes go to a temp file and are renamed into
// place, so a crash never leaves a partial object under its final key.
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, access, constants, link } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ArtifactError, ConfigError } from '@noisy/core';
import { checkKey, type ObjectInfo, type ObjectStore } from './port.js';

let tmpCounter = 0;

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
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${tmpCounter++}`;
    await writeFile(tmp, body);
    await rename(tmp, file);
  }
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${tmpCounter++}`;
    await writeFile(tmp, body);
    try {
      // link() fails with EEXIST when the key is taken, atomically: the whole file or nothing.
      await link(tmp, file);
      return true;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new ArtifactError(key, `cannot create: ${(cause as NodeJS.ErrnoException).code}`, {
        cause,
        retryable: true,
      });
    } finally {
      await rm(tmp, { force: true });
    }
  }
  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.path(key));
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new ArtifactError(key, code === 'ENOENT' ? 'no such object' : `cannot read: ${code}`, {
        cause,
        retryable: code !== 'ENOENT',
      });
    }
  }
  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size } : null;
    } catch {
      return null;
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
