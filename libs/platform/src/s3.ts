// @noisy/platform/s3: the S3 adapter of the object-store port (loads @aws-sdk), and
// openObjectStore, which opens any store URL: s3://, file://, memory:// or a bare path.
import { openLocalStore } from './object-store/open.js';
import type { ObjectStore } from './object-store/port.js';
import { S3ObjectStore, parseS3Url } from './object-store/s3.js';

export { S3ObjectStore, parseS3Url, type S3StoreOptions } from './object-store/s3.js';

/** Credentials for s3:// stores come from the caller (service mains read them from env or Secrets). */
export async function openObjectStore(
  url: string,
  s3Credentials?: { accessKeyId: string; secretAccessKey: string },
): Promise<ObjectStore> {
  if (url.startsWith('s3://')) return new S3ObjectStore(parseS3Url(url, s3Credentials)).open();
  return openLocalStore(url);
}
