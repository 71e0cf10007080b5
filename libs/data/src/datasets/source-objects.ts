// Source files that live in the object store: a `tfrecord` source whose `dir` (or `unlabeled`) is
// `store:<prefix>` names the original's train-*/validation-*/extra-* shards uploaded to the run's
// own bucket. They are listed, counted and read through the store port (streamed GETs; training's
// record reads are ranged GETs) exactly where a local path would use the file system, so a cluster
// without a shared volume reads them in place too. Paths keep the `store:` prefix in manifests and
// errors; the project's own namespaces (`runs/`, `datasets/`, `indexes/`) cannot be named as a source.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, DataError } from '@noisy/core';

/** What reading source files from the store needs: a subset of the platform's ObjectStore port. */
export interface SourceObjects {
  list(prefix: string): Promise<string[]>;
  head(key: string): Promise<{ size: number } | null>;
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
}

const PREFIX = 'store:';

/** Whether a source path names objects of the store rather than a file or directory. */
export const isStorePath = (path: string): boolean => path.startsWith(PREFIX);

/** The store key (or key prefix) of a `store:` path, refused when it names the project's own data. */
export function storeKeyOf(path: string): string {
  const key = path.slice(PREFIX.length).replace(/^\/+/, '').replace(/\/+$/, '');
  if (!key || key.split('/').some((s) => s === '..' || s === '.' || s === ''))
    throw new ConfigError('data.source', `'${path}' is not a store path: use store:<prefix>, e.g. store:imagenet/raw`);
  if (/^(runs|datasets|indexes)(\/|$)/.test(key))
    throw new ConfigError('data.source', `'${path}' names the project's own ${key.split('/')[0]}/: not a source`);
  return key;
}

function objectsFor(path: string, objects: SourceObjects | undefined): SourceObjects {
  if (!objects)
    throw new ConfigError(
      'data.source',
      `'${path}' is read from the object store, and this command was given none (pass --store)`,
    );
  return objects;
}

/** The names in a source directory (or under a store prefix), as paths: sorted, not recursive. */
export async function listSourceDir(dir: string, objects?: SourceObjects): Promise<string[]> {
  if (isStorePath(dir)) {
    const prefix = `${storeKeyOf(dir)}/`;
    const keys = await objectsFor(dir, objects).list(prefix);
    return keys
      .filter((k) => !k.slice(prefix.length).includes('/'))
      .sort()
      .map((k) => `${PREFIX}${k}`);
  }
  const names = await readdir(dir).catch((cause) => {
    throw new DataError(dir, `cannot read TFRecord directory: ${(cause as NodeJS.ErrnoException).code}`, undefined, {
      cause,
    });
  });
  return names.sort().map((n) => join(dir, n));
}

/** A source file's size in bytes, or null when it does not exist. */
export async function sourceFileSize(file: string, objects?: SourceObjects): Promise<number | null> {
  if (isStorePath(file)) return (await objectsFor(file, objects).head(storeKeyOf(file)))?.size ?? null;
  return stat(file).then(
    (st) => st.size,
    () => null,
  );
}

/** A source file's bytes in chunks (1 MiB from files, each a fresh buffer: records are views of them). */
export async function* sourceFileChunks(file: string, objects?: SourceObjects): AsyncGenerator<Uint8Array> {
  if (isStorePath(file)) {
    const stream = await objectsFor(file, objects)
      .getStream(storeKeyOf(file))
      .catch((cause: Error) => {
        throw new DataError(file, `cannot open: ${cause.message}`, undefined, { cause });
      });
    yield* stream;
    return;
  }
  const fh = await open(file, 'r').catch((cause) => {
    throw new DataError(file, `cannot open: ${(cause as Error).message}`, undefined, { cause });
  });
  try {
    for (;;) {
      const chunk = new Uint8Array(1 << 20);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** `length` bytes of a source file from `offset`; a file now shorter is a DataError naming it. */
export async function sourceFileRange(
  file: string,
  offset: number,
  length: number,
  objects?: SourceObjects,
): Promise<Uint8Array> {
  const shorter = () => new DataError(file, 'shorter than when it was indexed: the file changed');
  if (isStorePath(file)) {
    const store = objectsFor(file, objects);
    const key = storeKeyOf(file);
    try {
      return await store.getRange(key, offset, length);
    } catch (cause) {
      const size = await store.head(key).catch(() => null);
      if (size && size.size < offset + length) throw shorter();
      throw new DataError(file, `cannot read: ${(cause as Error).message}`, undefined, { cause });
    }
  }
  const fh = await open(file, 'r').catch((cause: NodeJS.ErrnoException) => {
    throw new DataError(file, `cannot open a file read in place: ${cause.code ?? cause.message}`, undefined, { cause });
  });
  try {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(out, got, length - got, offset + got);
      if (bytesRead === 0) throw shorter();
      got += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}
