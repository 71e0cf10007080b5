// Open an object store from a URL: memory://, file://<path> (relative paths allowed), a bare path,
// or s3://bucket/prefix?endpoint=...&pathStyle=true&checksums=when_required.
import { resolve } from 'node:path';
import { ConfigError } from '@noisy/core';
import { FileObjectStore } from './file.js';
import { MemoryObjectStore } from './memory.js';
import { S3ObjectStore, parseS3Url } from './s3.js';
import type { ObjectStore } from './port.js';

/** Credentials for s3:// stores come from the caller (service mains read them from env or Secrets). */
export async function openObjectStore(
  url: string,
  s3Credentials?: { accessKeyId: string; secretAccessKey: string },
): Promise<ObjectStore> {
  if (url.startsWith('memory://')) return new MemoryObjectStore(url);
  if (url.startsWith('file://')) return new FileObjectStore(resolve(url.slice('file://'.length) || '.')).open();
  if (url.startsWith('s3://')) return new S3ObjectStore(parseS3Url(url, s3Credentials)).open();
  if (/^[a-z0-9+]+:\/\//i.test(url))
    throw new ConfigError('--store', `unsupported object store URL '${url}'; use file://PATH or memory://`);
  return new FileObjectStore(resolve(url)).open();
}
