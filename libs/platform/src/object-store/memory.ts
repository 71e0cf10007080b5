// In-memory object store for unit tests; passes the same contract suite as the real adapters.
import { ArtifactError } from '@noisy/core';
import { checkKey, checkRange, type ByteSource, type ObjectInfo, type ObjectStore } from './port.js';

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Uint8Array>();
  constructor(readonly url = 'memory://') {}

  async put(key: string, body: Uint8Array | string): Promise<void> {
    checkKey(key);
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : Uint8Array.from(body));
  }
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    checkKey(key);
    if (this.objects.has(key)) return false;
    await this.put(key, body);
    return true;
  }
  async get(key: string): Promise<Uint8Array> {
    const v = this.objects.get(key);
    if (!v) throw new ArtifactError(key, 'no such object');
    return v;
  }
  async putStream(key: string, source: ByteSource): Promise<void> {
    checkKey(key);
    const chunks: Uint8Array[] = [];
    for await (const c of source) chunks.push(Uint8Array.from(c));
    this.objects.set(key, Buffer.concat(chunks)); // only once the source has ended
  }
  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const v = await this.get(key);
    // Chunks of 64 KiB, so that readers meet chunk boundaries as they do with real stores.
    return (async function* () {
      for (let o = 0; o < v.length; o += 1 << 16) yield v.subarray(o, o + (1 << 16));
    })();
  }
  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(key, offset, length);
    const v = await this.get(key);
    if (offset + length > v.length)
      throw new ArtifactError(key, `range ${offset}+${length} is past the object's end (${v.length} bytes)`);
    return v.slice(offset, offset + length);
  }
  async head(key: string): Promise<ObjectInfo | null> {
    const v = this.objects.get(key);
    return v ? { key, size: v.length } : null;
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}
