// The object-store port. Keys are write-once paths such as `runs/<id>/gen-1/model/meta.json`.
// Adapters: memory:// (tests), file:// (embedded default); S3 comes with the services.
// Objects move as streams (getStream/putStream) so that no worker needs a whole shard in memory;
// get/put are conveniences for small objects (manifests, JSON, checkpoints).

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

/** Bytes to write: any (async) iterable of chunks, e.g. a Node Readable or an async generator. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface ObjectStore {
  /** The URL this store was opened from, e.g. `file:///work/runs`. */
  readonly url: string;
  /** Write an object atomically: readers see the old state or the whole new object, never a part. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Read an object; throws ArtifactError when it does not exist. */
  /**
   * Write an object only if no object has that key (S3 `If-None-Match: *`, an exclusive link on
   * files): of two writers racing on one key exactly one gets `true`, and the other's bytes are
   * never visible. How a step commits its manifest exactly once.
   */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  get(key: string): Promise<Uint8Array>;
  /**
   * Write an object from a stream of chunks, as atomically as `put`: when the source throws, the
   * write is abandoned and no object (nor part of one) appears under the key.
   */
  putStream(key: string, source: ByteSource): Promise<void>;
  /**
   * Read an object as a stream of chunks. A missing object rejects here, with the same
   * ArtifactError as `get`; a read that fails midway throws an ArtifactError from the iteration.
   * Breaking out of the iteration releases the underlying file or connection.
   */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Read `length` bytes of an object from byte `offset` (S3 ranged GET, a positional file read):
   * how training fetches one record of a shard without reading the shard. A missing object, or a
   * range past its end, rejects with an ArtifactError naming the key.
   */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** Size of an object, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

/** Read and parse a JSON object. */
export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await store.get(key))) as T;
}

/** Write a JSON object only if its key is free; false when another writer got there first. */
export async function putJsonIfAbsent(store: ObjectStore, key: string, value: unknown): Promise<boolean> {
  return store.putIfAbsent(key, `${JSON.stringify(value, null, 2)}\n`);
}

/** Write a JSON object (pretty, stable key order as given). */
export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, `${JSON.stringify(value, null, 2)}\n`);
}

export function checkKey(key: string): void {
  if (!key || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '')) {
    throw new TypeError(`invalid object key '${key}': use relative slash-separated names without '..'`);
  }
}

/** Check a byte range's bounds (whole non-negative numbers). */
export function checkRange(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
    throw new TypeError(`invalid byte range ${offset}+${length} of '${key}'`);
}
