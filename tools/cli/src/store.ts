// Open the --store URL; s3:// stores take credentials from the standard AWS variables. The S3
// adapter (and @aws-sdk) is loaded only for an s3:// URL, so local runs start without it.
import { ConfigError } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { openLocalStore, type ObjectStore } from '@noisy/platform';

export async function openStore(url: string): Promise<ObjectStore> {
  if (!url.startsWith('s3://')) return openLocalStore(url);
  const { openObjectStore } = await import('@noisy/platform/s3');
  const id = process.env.AWS_ACCESS_KEY_ID,
    secret = process.env.AWS_SECRET_ACCESS_KEY;
  return openObjectStore(url, id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined);
}

/** Fail with the run id named (exit code 2) when the store has no run of that id. */
export async function requireRun(store: ObjectStore, runId: string, storeUrl: string): Promise<void> {
  if (!(await store.head(runKeys.experiment(runId))))
    throw new ConfigError(
      '<run-id>',
      `no such run '${runId}' in ${storeUrl}; noisy runs --store ${storeUrl} lists them`,
    );
}
