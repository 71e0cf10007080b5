// Steps cached on their inputs. A step's inputs are the content of its parent manifests (their
// parts' sha256 and their data: the dataset, a teacher's weights, predictions, thresholds) and
// its own configuration. When an earlier run committed a step with the same inputs, this run
// commits a manifest that references that step's parts (they keep their original keys) instead
// of computing them again: editing one student does not retrain the teacher or re-predict.
import { sha256Hex } from '@noisy/core';
import { cacheKeys } from '@noisy/contracts';
import { putJson, type ObjectStore } from '@noisy/platform';
import { z } from 'zod';
import type { ManifestEnvelope } from './manifest-schema.js';
import { readValidated } from './read-validated.js';

/** What determines a step's result besides its parents: everything its work reads from the run. */
export interface CacheInputs {
  /** Keys of the manifests the step reads, in this run. */
  parents: string[];
  /** The step's own configuration, including seeds, generation and shard where they pick a stream. */
  config: unknown;
}

const EntrySchema = z.strictObject({ manifest: z.string().min(1) });

/**
 * The content of a committed manifest for the purpose of the cache: its parts' sha256 and its
 * data, not where it lives, how long it took or which run wrote it. A step reused from an
 * earlier run thus has the same content hash as the step it reused.
 */
export function contentHash(m: ManifestEnvelope): string {
  return sha256Hex(JSON.stringify({ kind: m.kind, parts: m.parts.map((p) => p.sha256), data: m.data }));
}

/** The cache key of a step: its kind, config and the content of each parent, in order. */
export async function stepCacheKey(
  kind: string,
  inputs: CacheInputs,
  read: (key: string) => Promise<ManifestEnvelope>,
): Promise<string> {
  const parents: string[] = [];
  for (const key of inputs.parents) parents.push(contentHash(await read(key)));
  return sha256Hex(JSON.stringify({ kind, config: inputs.config, parents }));
}

/** The manifest key an earlier run committed for these inputs, or null. */
export async function lookupStep(store: ObjectStore, kind: string, hash: string): Promise<string | null> {
  const key = cacheKeys.step(kind, hash);
  if (!(await store.head(key))) return null;
  return (await readValidated(store, key, EntrySchema)).manifest;
}

/** Record that `manifestKey` holds the result for these inputs. */
export async function rememberStep(store: ObjectStore, kind: string, hash: string, manifestKey: string): Promise<void> {
  await putJson(store, cacheKeys.step(kind, hash), { manifest: manifestKey });
}
