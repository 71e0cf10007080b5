// An input pipeline that keeps the trainer busy: batches of encoded pictures are decoded, cropped,
// resized, flipped and normalised in a pool of worker threads, up to `prefetch` batches ahead of
// the consumer (a bounded queue), and handed out in stream order. Picture i of the stream always
// uses the generator fork(seed, i), so the batches are the same whatever the thread timing.
// The pool counts how long the consumer waited for input. A consumer done with a batch's floats can
// hand the buffer back (`recycle`): the next batches are written into it, so a long run does not
// allocate (and garbage-collect) a fresh [batch, r, r, 3] array every step.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataError } from '@noisy/core';
import type { Where } from '../decode-image.js';
import type { ChannelStats } from './preprocess.js';

/** One encoded picture of the stream. */
export interface EncodedPicture {
  readonly bytes: Uint8Array;
  readonly where: Where;
  /** 0-based class, when known. */
  readonly label?: number;
}

export interface InputPoolOptions {
  /** Worker threads. */
  readonly threads: number;
  readonly batchSize: number;
  /** Output side (the model's resolution). */
  readonly resolution: number;
  /** 'train': random crop + flip (+ augment); 'eval': padded center crop. */
  readonly mode: 'train' | 'eval';
  readonly stats: ChannelStats;
  readonly seed: number;
  /** Batches prepared ahead of the consumer. @default 2 * threads */
  readonly prefetch?: number;
  readonly maxPixels?: number;
  /** Augmentation loaded in each thread: `module` (a file URL) exports `export(options)` -> ImageAugment. */
  readonly augment?: { readonly module: string; readonly export: string; readonly options?: unknown };
}

/** A batch: [count, resolution, resolution, 3] normalised floats and the labels (-1 when unknown). */
export interface InputBatch {
  readonly index: number;
  readonly count: number;
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

export interface InputPoolStats {
  readonly batches: number;
  readonly images: number;
  /** Time the consumer spent waiting for the next batch. */
  readonly waitedMs: number;
  /** Batches written into a buffer given back through `recycle`. */
  readonly reused: number;
}

/** @internal the message a worker receives. */
export interface PoolJob {
  id: number;
  first: number;
  bytes: ArrayBuffer;
  /** A recycled float buffer to write the batch into (else the worker allocates one). */
  out?: ArrayBuffer;
  offsets: number[];
  shards: string[];
  records: number[];
}
/** @internal what a worker answers. */
export interface PoolResult {
  id: number;
  images?: ArrayBuffer;
  error?: { name: string; message: string; file?: string; record?: number };
}
/** @internal the worker's configuration. */
export type PoolWorkerConfig = Pick<
  InputPoolOptions,
  'resolution' | 'mode' | 'stats' | 'seed' | 'maxPixels' | 'augment'
>;

// Workers run the TypeScript sources through tsx's loader, registered inside each thread (Node 20
// does not pass a parent's --import loader on to worker threads).
function bootScript(): string {
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./pool-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

function pack(pics: EncodedPicture[], id: number, first: number): PoolJob {
  const offsets = [0];
  for (const p of pics) offsets.push(offsets[offsets.length - 1] + p.bytes.length);
  const bytes = new Uint8Array(offsets[offsets.length - 1]);
  pics.forEach((p, k) => bytes.set(p.bytes, offsets[k]));
  return {
    id,
    first,
    bytes: bytes.buffer,
    offsets,
    shards: pics.map((p) => p.where.shard),
    records: pics.map((p) => p.where.record),
  };
}

function toError(e: NonNullable<PoolResult['error']>): Error {
  if (e.name === 'DataError' && e.file !== undefined) return new DataError(e.file, e.message, e.record);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

export class InputPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: PoolResult) => void; reject: (e: Error) => void }>();
  private readonly queue: Array<{ job: PoolJob }> = [];
  private waitedMs = 0;
  private batchesOut = 0;
  private imagesOut = 0;
  private manual = 0;
  private reused = 0;
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly o: InputPoolOptions) {
    const config: PoolWorkerConfig = {
      resolution: o.resolution,
      mode: o.mode,
      stats: o.stats,
      seed: o.seed,
      maxPixels: o.maxPixels,
      augment: o.augment,
    };
    const boot = bootScript();
    for (let t = 0; t < o.threads; t++) {
      const w = new Worker(boot, { eval: true, workerData: config });
      w.on('message', (r: PoolResult) => this.finished(w, r));
      w.on('error', (e) => this.failAll(e));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private finished(w: Worker, r: PoolResult): void {
    const p = this.pending.get(r.id);
    this.pending.delete(r.id);
    this.idle.push(w);
    this.dispatch();
    p?.resolve(r);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const { job } = this.queue.shift()!;
      job.out = this.spare.pop();
      if (job.out) this.reused++;
      w.postMessage(job, job.out ? [job.bytes, job.out] : [job.bytes]);
    }
  }

  private submit(job: PoolJob): Promise<PoolResult> {
    const done = new Promise<PoolResult>((resolve, reject) => this.pending.set(job.id, { resolve, reject }));
    this.queue.push({ job });
    this.dispatch();
    return done;
  }

  /**
   * Preprocess one batch now: pictures of stream positions `first`, `first + 1`, ... (their
   * generators), [count, resolution, resolution, 3] normalised floats. For consumers that plan
   * their own batches ahead (the trainer); `waited` adds the time they blocked on the result.
   */
  async prepare(pics: EncodedPicture[], first: number): Promise<Float32Array> {
    const size = this.o.resolution * this.o.resolution * 3;
    const r = await this.submit(pack(pics, -1 - this.manual++, first));
    if (r.error) throw toError(r.error);
    this.batchesOut++;
    this.imagesOut += pics.length;
    return new Float32Array(r.images!, 0, pics.length * size);
  }

  /**
   * Give back a batch's floats (from `batches` or `prepare`) once nothing reads them any more: a
   * later batch is written into the same memory. Optional; buffers smaller than a full batch, and
   * more than the pool can have in flight, are left to the garbage collector.
   */
  recycle(images: Float32Array): void {
    const full = this.o.batchSize * this.o.resolution * this.o.resolution * 3 * 4;
    const limit = (this.o.prefetch ?? 2 * this.o.threads) + this.o.threads;
    if (
      images.buffer.byteLength >= full &&
      this.spare.length < limit &&
      !this.spare.includes(images.buffer as ArrayBuffer)
    )
      this.spare.push(images.buffer as ArrayBuffer);
  }

  /** Count time a consumer of `prepare` spent blocked on input. */
  waited(ms: number): void {
    this.waitedMs += ms;
  }

  /** Preprocessed batches of `source`, in order; the last batch may be smaller. */
  async *batches(source: AsyncIterable<EncodedPicture> | Iterable<EncodedPicture>): AsyncGenerator<InputBatch> {
    const ahead = this.o.prefetch ?? 2 * this.o.threads;
    const size = this.o.resolution * this.o.resolution * 3;
    const inFlight: Array<{ result: Promise<PoolResult>; labels: Int32Array; count: number; index: number }> = [];
    let index = 0,
      first = 0;
    let chunk: EncodedPicture[] = [];
    const launch = () => {
      const job = pack(chunk, index, first);
      const labels = Int32Array.from(chunk, (p) => p.label ?? -1);
      const result = this.submit(job);
      result.catch(() => undefined); // observed when its turn comes
      inFlight.push({ result, labels, count: chunk.length, index });
      index++;
      first += chunk.length;
      chunk = [];
    };
    const take = async (): Promise<InputBatch> => {
      const next = inFlight.shift()!;
      const r = await next.result;
      if (r.error) throw toError(r.error);
      this.batchesOut++;
      this.imagesOut += next.count;
      return {
        index: next.index,
        count: next.count,
        images: new Float32Array(r.images!, 0, next.count * size),
        labels: next.labels,
      };
    };
    // This generator only runs while the consumer awaits its next batch: that time is the wait.
    let resumed = performance.now();
    const hand = (b: InputBatch) => {
      this.waitedMs += performance.now() - resumed;
      return b;
    };
    for await (const pic of source) {
      chunk.push(pic);
      if (chunk.length === this.o.batchSize) {
        launch();
        if (inFlight.length >= ahead) {
          yield hand(await take());
          resumed = performance.now();
        }
      }
    }
    if (chunk.length) launch();
    while (inFlight.length) {
      yield hand(await take());
      resumed = performance.now();
    }
  }

  stats(): InputPoolStats {
    return { batches: this.batchesOut, images: this.imagesOut, waitedMs: this.waitedMs, reused: this.reused };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
