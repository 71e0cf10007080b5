// Manifests: the commit record of a step. A step writes its parts first, then its manifest
// (sha256 and record count of every part, counts, config, parents); a step whose manifest exists
// is done, and a manifest's parts are verified when read.
import { ArtifactError, sha256Hex } from '@noisy/core';
import { getJson, putJson, type ObjectStore } from '@noisy/platform';

export interface Part {
  key: string;
  sha256: string;
  bytes: number;
  records: number;
}

export interface Manifest<D = unknown> {
  kind: string;
  /** Parts written by the step (their content is fixed by the seed, so a rerun rewrites them identically). */
  parts: Part[];
  counts: Record<string, number>;
  /** Manifest keys this step read. */
  parents: string[];
  /** The configuration that determined the result. */
  config: unknown;
  /** Step-specific payload: a histogram, thresholds, metrics, dataset description. */
  data: D;
  /** Wall time; the only field that differs between identical reruns. */
  timing: { seconds: number };
}

/** Write one part and describe it. */
export async function putPart(store: ObjectStore, key: string, bytes: Uint8Array, records: number): Promise<Part> {
  await store.put(key, bytes);
  return { key, sha256: sha256Hex(bytes), bytes: bytes.length, records };
}

export async function writeManifest<D>(store: ObjectStore, key: string, m: Manifest<D>): Promise<Manifest<D>> {
  await putJson(store, key, m);
  return m;
}

export async function readManifest<D>(store: ObjectStore, key: string): Promise<Manifest<D>> {
  if (!(await store.head(key)))
    throw new ArtifactError(key, 'manifest missing: the step that writes it has not finished');
  return getJson<Manifest<D>>(store, key);
}

export async function isCommitted(store: ObjectStore, key: string): Promise<boolean> {
  return (await store.head(key)) !== null;
}

/** Read a part and check it against its manifest entry. */
export async function readPart(store: ObjectStore, part: Part): Promise<Uint8Array> {
  const bytes = await store.get(part.key);
  if (bytes.length !== part.bytes || sha256Hex(bytes) !== part.sha256) {
    throw new ArtifactError(
      part.key,
      `content does not match its manifest (sha256 ${part.sha256.slice(0, 12)}...): the object was changed or corrupted`,
    );
  }
  return bytes;
}
