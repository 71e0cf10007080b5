// Manifests: the commit record of a step. A step writes its parts first, then its manifest
// (sha256 and record count of every part, counts, config, parents) last; a step whose manifest
// exists and whose parts match it is done. Manifests are validated when read (manifest-schema.ts)
// and their parts verified when read. Parts are read and written as streams (sha256, byte and
// record counts computed on the fly), so no step needs a whole shard in memory. Two workers may
// run one task (a redelivery after an ack timeout): each attempt writes its parts under its own
// key (`attemptKey`) and the manifest is created only if absent, so exactly one attempt commits
// and the committed parts are its own.
import { createHash, randomUUID } from 'node:crypto';
import { ArtifactError, DataError, sha256Hex } from '@noisy/core';
import { decodeTFRecordStream, frameRecord, sourceFileChunks, sourceFileRange } from '@noisy/data';
import { putJsonIfAbsent, type ObjectStore } from '@noisy/platform';
import type { z } from 'zod';
import { AnyEnvelopeSchema, type EnvelopeSchema, type ManifestEnvelope, type Part } from './manifest-schema.js';
import { readValidated } from './read-validated.js';
import { lookupStep, rememberStep, stepCacheKey, type CacheInputs } from './step-cache.js';

export type { ManifestEnvelope, Part } from './manifest-schema.js';
export type { CacheInputs } from './step-cache.js';

/** Write one part and describe it. */
export async function putPart(store: ObjectStore, key: string, bytes: Uint8Array, records: number): Promise<Part> {
  await store.put(key, bytes);
  return { key, sha256: sha256Hex(bytes), bytes: bytes.length, records };
}

/**
 * Frame records into a TFRecord part and stream it to the store; sha256, bytes and the record
 * count are computed as it goes. A source that throws leaves no object.
 */
export async function putRecords(
  store: ObjectStore,
  key: string,
  records: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Part> {
  const hash = createHash('sha256');
  let bytes = 0;
  let count = 0;
  async function* framed(): AsyncGenerator<Uint8Array> {
    for await (const r of records) {
      const f = frameRecord(r);
      hash.update(f);
      bytes += f.length;
      count++;
      yield f;
    }
  }
  await store.putStream(key, framed());
  return { key, sha256: hash.digest('hex'), bytes, records: count };
}

/** A part whose bytes are no longer those its manifest recorded: a source file read in place, or an object. */
export const partMismatch = (part: Part, what: string, cause?: unknown): DataError | ArtifactError =>
  part.file
    ? new DataError(
        part.file,
        `changed since ingest read it in place (${what}; sha256 ${part.sha256.slice(0, 12)}... then): ` +
          'restore the file, or ingest the source again as a new dataset (change data or the seed)',
        undefined,
        { cause },
      )
    : new ArtifactError(
        part.key,
        `content does not match its manifest (${what}; sha256 ${part.sha256.slice(0, 12)}...): ` +
          'the object was changed or corrupted',
      );

/**
 * Stream a part's bytes, checking them against its manifest entry on the fly: too many bytes
 * fail at once, a wrong sha256 or too few bytes when the stream ends (before the caller's step
 * can commit anything it derived from them).
 */
export async function* readPartStream(store: ObjectStore, part: Part): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let bytes = 0;
  // A part read in place is a source file (on a mounted path, or `store:` in the store), not a step's object.
  for await (const chunk of part.file ? sourceFileChunks(part.file, store) : await store.getStream(part.key)) {
    bytes += chunk.length;
    if (bytes > part.bytes) throw partMismatch(part, `more than ${part.bytes} bytes`);
    hash.update(chunk);
    yield chunk;
  }
  if (bytes !== part.bytes) throw partMismatch(part, `${bytes} of ${part.bytes} bytes`);
  if (hash.digest('hex') !== part.sha256) throw partMismatch(part, 'sha256 differs');
}

/**
 * `length` bytes of a part from `offset`, without the stream's whole-part checks (the caller
 * checks what it reads: a record's CRC): a source file read in place, or an object of the store.
 */
export function readPartRange(store: ObjectStore, part: Part, offset: number, length: number): Promise<Uint8Array> {
  return part.file ? sourceFileRange(part.file, offset, length, store) : store.getRange(part.key, offset, length);
}

/**
 * The records of a TFRecord part, streamed: the part's sha256 and byte count verified on the
 * fly, each record's CRCs, and the record count at the end. Errors name the key and the record.
 * A record is a view of a read chunk: copy what must outlive the iteration step.
 */
export async function* readRecords(store: ObjectStore, part: Part): AsyncGenerator<Uint8Array> {
  let n = 0;
  const source = decodeTFRecordStream(readPartStream(store, part), part.key);
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch (err) {
        // A file read in place had whole records when ingest counted it: a bad one now means it changed.
        if (part.file && err instanceof DataError && err.record !== undefined)
          throw partMismatch(part, `record ${err.record} no longer reads: ${err.message}`, err);
        throw err;
      }
      if (next.done) break;
      n++;
      yield next.value;
    }
  } finally {
    await source.return(undefined); // a reader that stops early closes the file or stream
  }
  if (n !== part.records) throw partMismatch(part, `${n} records, the manifest says ${part.records}`);
}

/** Read a committed manifest, checked against `schema` (stages/manifests.ts has one per kind). */
export async function readManifestWith<M>(store: ObjectStore, key: string, schema: z.ZodType<M>): Promise<M> {
  if (!(await store.head(key)))
    throw new ArtifactError(key, 'manifest missing: the step that writes it has not finished');
  return readValidated(store, key, schema);
}

/** Whether a manifest exists (cheap: one head); see `verifyCommit` for whether its data is whole. */
export async function isCommitted(store: ObjectStore, key: string): Promise<boolean> {
  return (await store.head(key)) !== null;
}

/** Read a part and check it against its manifest entry. */
export async function readPart(store: ObjectStore, part: Part): Promise<Uint8Array> {
  const bytes = await store.get(part.key);
  if (bytes.length !== part.bytes || sha256Hex(bytes) !== part.sha256) {
    throw new ArtifactError(
      part.key,
      `content does not match its manifest (sha256 ${part.sha256.slice(0, 12)}...): ` +
        'the object was changed or corrupted',
    );
  }
  return bytes;
}

/**
 * Whether a step is done: its manifest exists, is valid, and every part matches its sha256.
 * A manifest that fails any of these is withdrawn (deleted), so the step runs again instead of
 * every rerun skipping it and every reader failing on its data. Reads every part once: the
 * controller calls it when it plans a phase and a stage before it runs, not while polling.
 */
export async function verifyCommitWith(
  store: ObjectStore,
  key: string,
  schema: z.ZodType<ManifestEnvelope>,
): Promise<boolean> {
  if (!(await isCommitted(store, key))) return false;
  try {
    const m = await readManifestWith(store, key, schema);
    for (const part of m.parts) for await (const _ of readPartStream(store, part));
    return true;
  } catch (err) {
    // Only damage means "not done"; a store that cannot be read is a fault to retry.
    if (!(err instanceof ArtifactError) || err.retryable) throw err;
    await store.delete(key);
    return false;
  }
}

/** What a step produced; `commitStep` adds the kind and the wall time. */
export interface StepOutput<D> {
  parts: Part[];
  counts: Record<string, number>;
  parents: string[];
  config: unknown;
  data: D;
}

/**
 * The key an attempt writes a part under: `attempt-<id>` before the extension of `key`
 * (`shard-00001-of-00004.tfrecord` -> `shard-00001-of-00004.attempt-1a2b3c4d.tfrecord`).
 */
export function attemptKey(key: string, attempt: string): string {
  const slash = key.lastIndexOf('/');
  const dot = key.indexOf('.', slash + 1);
  return dot < 0 ? `${key}.attempt-${attempt}` : `${key.slice(0, dot)}.attempt-${attempt}${key.slice(dot)}`;
}

/** A fresh attempt id: unique per run of a step's work, short enough for keys. */
export const newAttempt = (): string => randomUUID().slice(0, 8);

/**
 * Run a step once: skip it when its commit is verified; else, given its cache inputs, reuse the
 * verified result of an earlier step with the same inputs (step-cache.ts); else time `work` (which
 * writes its parts under keys unique to `attempt`) and create the manifest last, only if absent.
 * An attempt that loses the race deletes its own parts. Returns the manifest key.
 */
export async function commitStepWith<K extends string, D>(
  store: ObjectStore,
  key: string,
  kind: K,
  schema: EnvelopeSchema<K, D>,
  work: (attempt: string) => Promise<StepOutput<D>>,
  cache?: CacheInputs,
  /** How the step cache reads a parent (stages/manifests.ts: validated against its kind's schema, so the hash sees normalised data). */
  readParent: (key: string) => Promise<ManifestEnvelope> = (k) => readManifestWith(store, k, AnyEnvelopeSchema),
): Promise<string> {
  if (await verifyCommitWith(store, key, schema)) return key;
  const started = performance.now();
  const hash = cache ? await stepCacheKey(kind, cache, readParent) : null;
  if (hash) {
    const earlier = await lookupStep(store, kind, hash);
    if (earlier && earlier !== key && (await verifyCommitWith(store, earlier, schema))) {
      const m = await readManifestWith(store, earlier, schema);
      const reused: ManifestEnvelope<K, D> = {
        ...m,
        timing: { seconds: (performance.now() - started) / 1000 },
        reusedFrom: m.reusedFrom ?? earlier,
      };
      await putJsonIfAbsent(store, key, reused);
      return key;
    }
  }
  const attempt = newAttempt();
  const r = await work(attempt);
  const manifest: ManifestEnvelope<K, D> = {
    kind,
    parts: r.parts,
    counts: r.counts,
    parents: r.parents,
    config: r.config,
    data: r.data,
    timing: { seconds: (performance.now() - started) / 1000 },
  };
  if (!(await putJsonIfAbsent(store, key, manifest))) {
    // Another attempt committed first: its parts are the result; ours are garbage unless shared.
    const committed = new Set((await readManifestWith(store, key, AnyEnvelopeSchema)).parts.map((p) => p.key));
    for (const p of r.parts) if (!committed.has(p.key) && !p.file) await store.delete(p.key);
  } else if (hash) await rememberStep(store, kind, hash, key);
  return key;
}
