// Open a local object store from a URL: memory://, file://<path> (relative paths allowed) or a
// bare path. s3:// needs the network adapter: openObjectStore from @noisy/platform/s3 opens
// every scheme.
import { resolve } from 'node:path';
import { ConfigError } from '@noisy/core';
import { FileObjectStore } from './file.js';
import { MemoryObjectStore } from './memory.js';
import type { ObjectStore } from './port.js';

export async function openLocalStore(url: string): Promise<ObjectStore> {
  if (url.startsWith('memory://')) return new MemoryObjectStore(url);
  if (url.startsWith('file://')) return new FileObjectStore(resolve(url.slice('file://'.length) || '.')).open();
  if (/^[a-z0-9+]+:\/\//i.test(url))
    throw new ConfigError('--store', `unsupported object store URL '${url}'; use file://PATH or memory://`);
  return new FileObjectStore(resolve(url)).open();
}
