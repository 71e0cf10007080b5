// Predict one unlabeled shard with the previous generation's model: EMA weights, inference mode,
// no noise, full softmax at T = 1, in input order, with example ids. The shard streams through
// in blocks of a few batches: read, predict, write, so memory is bounded by the block, not the shard.
import { runKeys, type Task } from '@noisy/contracts';
import type { Sample } from '@noisy/data';
import type { StageContext } from '../records/context.js';
import { attemptKey, putRecords } from '../records/manifest.js';
import type { ModelCache } from '../records/model-cache.js';
import { predictionRecord } from '../records/predictions.js';
import { loadRunView } from '../records/run-view.js';
import { commitStep } from './manifests.js';

/** A block is up to 8 batches, and at most about 8 MiB of model input (at least one batch). */
const BLOCK_BATCHES = 8;
const BLOCK_BYTES = 8 << 20;

export async function predictStage(
  ctx: StageContext,
  task: Task,
  models: ModelCache,
  batchSize?: number,
): Promise<string> {
  const { runId, generation: g, shard } = task;
  const run = await loadRunView(ctx.store, runId);
  const S = run.shards;
  return commitStep(
    ctx.store,
    runKeys.predictionsManifest(runId, g, shard, S),
    'predictions',
    async (attempt) => {
      const teacher = await models.generation(ctx.store, runId, g - 1);
      const input = run.info.unlabeled[shard];
      const batch = batchSize ?? run.experiment.predictBatchSize;
      const exampleBytes = run.info.shape.reduce((a, b) => a * b, 1) * (run.info.kind === 'image' ? 1 : 4);
      const blockSize = Math.max(batch, Math.min(batch * BLOCK_BATCHES, Math.floor(BLOCK_BYTES / exampleBytes)));
      let done = 0;
      const predictBlock = async (block: Sample[]): Promise<Uint8Array[]> => {
        // The checkpoint's own normalisation (an imported teacher's may differ from the dataset's).
        const probs = await run.probabilities(
          teacher.model,
          block,
          `${input.key} (records from ${done})`,
          batch,
          undefined,
          teacher.meta.input.stats,
        );
        const C = run.classes;
        const out = block.map((s, i) => predictionRecord(s.id, probs.subarray(i * C, (i + 1) * C))); // [C] rows
        done += block.length;
        ctx.progress({ unit: 'examples', done, total: input.records });
        return out;
      };
      async function* predictions(): AsyncGenerator<Uint8Array> {
        let block: Sample[] = [];
        for await (const s of run.sampleStream(input)) {
          block.push(s);
          if (block.length === blockSize) {
            yield* await predictBlock(block);
            block = [];
          }
        }
        if (block.length) yield* await predictBlock(block);
      }
      const part = await putRecords(
        ctx.store,
        attemptKey(runKeys.predictions(runId, g, shard, S), attempt),
        predictions(),
      );
      return {
        parts: [part],
        counts: { examples: part.records },
        parents: [run.datasetKey, runKeys.modelManifest(runId, g - 1)],
        config: { temperature: 1, weights: 'ema' },
        data: null,
      };
    },
    {
      parents: [run.datasetKey, runKeys.modelManifest(runId, g - 1)],
      config: { temperature: 1, weights: 'ema', shard, shards: S },
    },
  );
}
