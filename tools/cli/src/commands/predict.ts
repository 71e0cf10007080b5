// noisy predict --model <checkpoint> --input <picture | folder | IDX | TFRecord | CSV/ARFF> --out preds.csv|jsonl:
// a trained model on your own data: id, top-k classes and probabilities, streamed in batches.
// Models trained on encoded pictures see each picture as evaluation does (padded center crop,
// bicubic resize to their resolution); other image models get the picture resized to their input.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readPredictInput, type Sample } from '@noisy/data';
import { loadCheckpoint, predictProbabilities, selectBackend } from '@noisy/ml';
import { locateModel } from '../model-arg.js';
import { openStore } from '../store.js';
import { packInputs, predictEncoded } from '@noisy/pipeline';
import { createProgress } from '../progress.js';
import { RowsFile } from '../rows-file.js';
import type { CommandIo } from './io.js';

export interface PredictFlags {
  model: string;
  input: string;
  out: string;
  store: string;
  topK: number;
  batch: number;
  backend?: string;
}

export async function predictCommand(f: PredictFlags, io: CommandIo): Promise<number> {
  await selectBackend((f.backend ?? 'auto') as 'auto');
  const store = await openStore(f.store);
  const where = await locateModel(store, f.model);
  const { model, meta } = await loadCheckpoint(where.store, where.prefix);
  const out = new RowsFile(f.out);
  const progress = createProgress(io.stderr);
  const C = meta.input.classes;
  const k = Math.min(f.topK, C);
  let done = 0;
  const encoded = meta.input.pictures === 'encoded';
  const folder = encoded && (await stat(f.input).catch(() => null))?.isDirectory();
  const probabilities = (batch: Sample[]) =>
    encoded
      ? // Errors name the picture's file (folders) or the record of the TFRecord file.
        predictEncoded(
          model,
          batch,
          (i) => ({ shard: folder ? join(f.input, batch[i].id) : f.input, record: done + i }),
          meta.input.stats,
          f.batch,
        )
      : predictProbabilities(model, packInputs(batch, meta.input, f.input), meta.input.stats, f.batch);
  const flush = async (batch: Sample[]) => {
    const probs = await probabilities(batch);
    for (const [i, s] of batch.entries()) {
      const row = probs.subarray(i * C, (i + 1) * C);
      const order = Array.from({ length: C }, (_, c) => c)
        .sort((a, b) => row[b] - row[a])
        .slice(0, k);
      const r: Record<string, string | number> = { id: s.id };
      order.forEach((c, j) => {
        r[`class${j + 1}`] = meta.input.classNames[c] ?? c;
        r[`prob${j + 1}`] = Number(row[c].toFixed(6));
      });
      await out.write(r);
    }
    done += batch.length;
    progress.progress({
      runId: '',
      taskId: '',
      step: 'predict',
      generation: -1,
      shard: -1,
      unit: 'examples',
      done,
      total: 0,
    });
  };
  try {
    await out.writeAll(async () => {
      let batch: Sample[] = [];
      for await (const s of readPredictInput(f.input, meta.input)) {
        batch.push(s);
        if (batch.length === f.batch) {
          await flush(batch);
          batch = [];
        }
      }
      if (batch.length) await flush(batch);
    });
  } finally {
    progress.done();
    model.dispose();
  }
  io.out(`${done} predictions -> ${f.out}\n`);
  return 0;
}
