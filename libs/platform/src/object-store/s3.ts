// S3 adapter of the object-store port (@aws-sdk/client-s3 + @aws-sdk/lib-storage): path-style
// option for S3-compatible servers, streamed GETs and multipart uploads (bounded part size and
// queue: at most PART_SIZE * (QUEUE + 1) bytes buffered per upload), a checksum mode setting
// (s3rver corrupts streamed uploads unless checksums are WHEN_REQUIRED), retries with backoff.
// URL: s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true&checksums=when_required
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  CreateBucketCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { ArtifactError, ConfigError } from '@noisy/core';
import { checkKey, checkRange, type ByteSource, type ObjectInfo, type ObjectStore } from './port.js';

/** Multipart part size (S3's minimum is 5 MiB) and parts in flight per upload. */
const PART_SIZE = 8 << 20;
const QUEUE = 2;

/** A failed GET: absent (permanent, as every store says it), or classified by s3Error. */
function readError(key: string, cause: unknown): ArtifactError {
  if ((cause as Error).name === 'NoSuchKey') return new ArtifactError(key, 'no such object', { cause });
  return s3Error(key, 'read', cause);
}

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash). */
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** 'when_required' for S3-compatible servers that mishandle flexible checksums. @default 'when_supported' */
  checksums?: 'when_supported' | 'when_required';
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  /** A request with no response for this long is abandoned and retried (a hung server). @default 60000 */
  requestTimeoutMs?: number;
  /** Create the bucket when it does not exist. @default false */
  createBucket?: boolean;
}

export function parseS3Url(url: string, credentials?: S3StoreOptions['credentials']): S3StoreOptions {
  const u = new URL(url);
  if (u.protocol !== 's3:' || !u.hostname)
    throw new ConfigError('--store', `'${url}' is not an s3://bucket[/prefix] URL`);
  const q = u.searchParams;
  const checksums = q.get('checksums') ?? 'when_supported';
  if (checksums !== 'when_supported' && checksums !== 'when_required')
    throw new ConfigError('--store', `checksums must be when_supported or when_required, got '${checksums}'`);
  return {
    bucket: u.hostname,
    prefix: u.pathname.replace(/^\/+|\/+$/g, ''),
    endpoint: q.get('endpoint') ?? undefined,
    region: q.get('region') ?? 'us-east-1',
    forcePathStyle: q.get('pathStyle') === 'true',
    checksums,
    credentials,
    createBucket: q.get('create') === 'true',
  };
}

/**
 * An S3 failure as an ArtifactError naming the key: retryable when trying again can help (no HTTP
 * answer: refused, reset, timed out; 5xx; throttling), permanent otherwise (access denied, no such
 * bucket, a failed precondition).
 */
export function s3Error(key: string, what: string, cause: unknown): ArtifactError {
  const e = cause as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.code ?? 'Error';
  const throttled = status === 429 || /Throttl|SlowDown|RequestTimeout|TooManyRequests/.test(name);
  const retryable = status === undefined || status >= 500 || throttled || Boolean(e.$retryable);
  return new ArtifactError(key, `cannot ${what}: ${name}${status ? ` (HTTP ${status})` : ''}`, { cause, retryable });
}

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly o: S3StoreOptions) {
    this.prefix = o.prefix ? `${o.prefix}/` : '';
    this.url = `s3://${o.bucket}/${o.prefix ?? ''}`;
    this.client = new S3Client({
      endpoint: o.endpoint,
      region: o.region ?? 'us-east-1',
      forcePathStyle: o.forcePathStyle,
      credentials: o.credentials,
      maxAttempts: o.maxAttempts ?? 5,
      // Without a socket timeout a request to a stalled server waits forever and is never retried.
      requestHandler: {
        requestTimeout: o.requestTimeoutMs ?? 60_000,
        connectionTimeout: 10_000,
        throwOnRequestTimeout: true,
      },
      requestChecksumCalculation: o.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: o.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    });
  }

  async open(): Promise<this> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.o.bucket }));
    } catch (cause) {
      if (!this.o.createBucket)
        throw new ConfigError(
          '--store',
          `bucket '${this.o.bucket}' is not reachable at ${this.o.endpoint ?? 'AWS'}: ${(cause as Error).name}`,
          { cause },
        );
      // Several services may race to create it: losing the race is fine.
      await this.client.send(new CreateBucketCommand({ Bucket: this.o.bucket })).catch(async (err) => {
        if (!/BucketAlready(Exists|OwnedByYou)/.test((err as Error).name)) throw err;
      });
    }
    return this;
  }

  private key(key: string): string {
    checkKey(key);
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.upload(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }

  async putStream(key: string, source: ByteSource): Promise<void> {
    // Remember the source's own error: the SDK may replace it with a failure to abort the upload
    // (some S3-compatible servers lack AbortMultipartUpload), and the caller must see the cause.
    let sourceError: { error: unknown } | undefined;
    const watched = async function* () {
      try {
        yield* source;
      } catch (error) {
        sourceError = { error };
        throw error;
      }
    };
    try {
      await this.upload(key, Readable.from(watched(), { objectMode: false }));
    } catch (err) {
      throw sourceError ? sourceError.error : err;
    }
  }

  /**
   * S3 objects appear whole or not at all: a small body is one PutObject sent after the source
   * ended; a large one is a multipart upload that is completed only after its last part, and
   * aborted (its parts deleted) when the source throws.
   */
  private async upload(key: string, body: Uint8Array | Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.o.bucket, Key: this.key(key), Body: body },
      partSize: PART_SIZE,
      queueSize: QUEUE,
    });
    try {
      await upload.done();
    } catch (cause) {
      if (body instanceof Readable) body.destroy();
      // The source's own error (a DataError from the stage, say) passes through unchanged.
      if (!(cause as { $metadata?: unknown }).$metadata) throw cause;
      throw s3Error(key, 'write', cause);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    // The head answers a key committed earlier without a write (and covers S3-compatible servers
    // that ignore If-None-Match); the conditional put decides a real race on AWS S3.
    if (await this.head(key)) return false;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key: this.key(key),
          Body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (cause) {
      const c = cause as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (c.name === 'PreconditionFailed' || c.$metadata?.httpStatusCode === 412) return false;
      // 409 ConditionalRequestConflict: a concurrent conditional write is in flight; the caller retries.
      throw new ArtifactError(key, `cannot create: ${c.name ?? 'error'}`, { cause, retryable: true });
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return await res.Body!.transformToByteArray();
    } catch (cause) {
      throw readError(key, cause);
    }
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    let body: Readable;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      body = res.Body as Readable; // in Node the SDK's body is an IncomingMessage
    } catch (cause) {
      throw readError(key, cause);
    }
    return (async function* () {
      try {
        for await (const chunk of body) yield chunk as Uint8Array;
      } catch (cause) {
        throw readError(key, cause);
      } finally {
        body.destroy();
      }
    })();
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(key, offset, length);
    if (length === 0) {
      const info = await this.head(key);
      if (!info) throw new ArtifactError(key, 'no such object');
      if (offset > info.size) throw new ArtifactError(key, `range ${offset}+0 is past the object's end`);
      return new Uint8Array(0);
    }
    let bytes: Uint8Array;
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.o.bucket,
          Key: this.key(key),
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
      );
      bytes = await res.Body!.transformToByteArray();
    } catch (cause) {
      // 416: the range starts past the end.
      if ((cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
        throw new ArtifactError(key, `range ${offset}+${length} is past the object's end`, { cause });
      throw readError(key, cause);
    }
    // A range that runs past the end comes back short.
    if (bytes.length !== length) throw new ArtifactError(key, `range ${offset}+${length} is past the object's end`);
    return bytes;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return { key, size: res.ContentLength ?? 0 };
    } catch (cause) {
      const name = (cause as Error).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return null;
      throw s3Error(key, 'stat', cause);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.o.bucket,
            Prefix: `${this.prefix}${prefix}`,
            ContinuationToken: token,
          }),
        )
        .catch((cause: unknown) => {
          throw s3Error(prefix, 'list', cause);
        });
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.prefix.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }))
      .catch((cause: unknown) => {
        throw s3Error(key, 'delete', cause);
      });
  }
}
