// One thread of the input pool: turns a batch of encoded pictures into a normalised float batch.
// Each picture draws from its own generator, derived from the pool's seed and the picture's
// position in the stream, so the result does not depend on which thread did the work.
import { parentPort, workerData } from 'node:worker_threads';
import { createRng } from '@noisy/core';
import { preprocessForEvalInto, preprocessForTrainInto, type ImageAugment } from './preprocess.js';
import type { PoolJob, PoolResult, PoolWorkerConfig } from './input-pool.js';

const config = workerData as PoolWorkerConfig;
const IN_FLIGHT = 4;
let augment: ImageAugment | undefined;
if (config.augment) {
  const mod = (await import(config.augment.module)) as Record<string, (options: unknown) => ImageAugment>;
  augment = mod[config.augment.export](config.augment.options);
}

/** Picture k of the job, normalised into `out` from `offset`. */
async function one(job: PoolJob, k: number, out: Float32Array, offset: number): Promise<void> {
  const bytes = new Uint8Array(job.bytes, job.offsets[k], job.offsets[k + 1] - job.offsets[k]);
  const where = { shard: job.shards[k], record: job.records[k] };
  const o = { resolution: config.resolution, maxPixels: config.maxPixels };
  if (config.mode === 'eval') return preprocessForEvalInto(bytes, where, o, config.stats, out, offset);
  const rng = createRng(config.seed).fork(job.first + k);
  return preprocessForTrainInto(bytes, where, { ...o, augment }, rng, config.stats, out, offset);
}

parentPort!.on('message', (job: PoolJob) => {
  void (async () => {
    const r = config.resolution;
    const size = r * r * 3;
    const n = job.records.length * size;
    // Every value of the batch is written below, so a recycled buffer needs no clearing.
    const out = job.out && job.out.byteLength >= n * 4 ? new Float32Array(job.out, 0, n) : new Float32Array(n);
    try {
      // A few pictures at a time (libvips decodes on the libuv thread pool; the libjpeg-turbo path
      // runs here, synchronously); more would only hold memory.
      let next = 0;
      const lane = async () => {
        for (let k = next++; k < job.records.length; k = next++) await one(job, k, out, k * size);
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, job.records.length) }, lane));
      const result: PoolResult = { id: job.id, images: out.buffer as ArrayBuffer };
      parentPort!.postMessage(result, [out.buffer as ArrayBuffer]);
    } catch (e) {
      const err = e as Error & { file?: string; record?: number };
      // DataError's message starts with "<file> (record <n>): "; send the rest, the main thread rebuilds it.
      const prefix =
        err.file === undefined ? '' : `${err.file}${err.record === undefined ? '' : ` (record ${err.record})`}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      const result: PoolResult = { id: job.id, error: { name: err.name, message, file: err.file, record: err.record } };
      parentPort!.postMessage(result);
    }
  })();
});
