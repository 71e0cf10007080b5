// JSON read back from the object store, checked against a schema: the store holds bytes, not
// types, so a truncated, hand-edited or older-format object fails here, naming the key and the
// field, instead of deep inside a stage.
import { ArtifactError } from '@noisy/core';
import type { ObjectStore } from '@noisy/platform';
import type { z } from 'zod';

export function parseValidated<T>(key: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(key, 'not valid JSON: the object was truncated or corrupted', { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    throw new ArtifactError(key, `unexpected content at ${where}: ${issue.message}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Read a JSON object and validate it; ArtifactError (permanent) when it is absent or does not fit. */
export async function readValidated<T>(store: ObjectStore, key: string, schema: z.ZodType<T>): Promise<T> {
  return parseValidated(key, new TextDecoder().decode(await store.get(key)), schema);
}
