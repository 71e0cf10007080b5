// Open the --store URL; s3:// stores take credentials from the standard AWS variables.
import { openObjectStore, type ObjectStore } from '@noisy/platform';

export function openStore(url: string): Promise<ObjectStore> {
  const id = process.env.AWS_ACCESS_KEY_ID,
    secret = process.env.AWS_SECRET_ACCESS_KEY;
  return openObjectStore(url, id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined);
}
