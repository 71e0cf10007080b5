// noisy export --model <checkpoint> --format tfjs --out DIR: the model as stock TensorFlow.js layers
// (model.json + weights.bin) that plain @tensorflow/tfjs loads with loadLayersModel, taking raw
// 0..255 pixels and returning class probabilities. tensorflowjs_converter turns it into Keras or a
// SavedModel (docs/cli.md).
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@noisy/core';
import { loadCheckpoint, selectBackend, stockModelFiles, toStockModel } from '@noisy/ml';
import { locateModel } from '../model-arg.js';
import { openStore } from '../store.js';
import type { CommandIo } from './io.js';

export interface ExportModelFlags {
  model: string;
  format: string;
  out: string;
  store: string;
}

export async function exportModelCommand(f: ExportModelFlags, io: CommandIo): Promise<number> {
  if (f.format !== 'tfjs') throw new ConfigError('--format', `unknown format '${f.format}'; expected tfjs`);
  await selectBackend('cpu');
  const store = await openStore(f.store);
  const where = await locateModel(store, f.model);
  const { model, meta } = await loadCheckpoint(where.store, where.prefix);
  try {
    if (meta.input.kind !== 'image') {
      throw new ConfigError(
        '--model',
        'a table model has no stock form (its row encoding is not a layer); use noisy predict for table models',
      );
    }
    const stock = toStockModel(model, meta.input.stats);
    const files = await stockModelFiles(stock, {
      classNames: meta.input.classNames,
      input: { shape: meta.input.shape, range: [0, 255], layout: 'NHWC' },
      output: 'probabilities',
      exportedFrom: f.model,
    });
    stock.dispose();
    // Write beside, then rename: the folder is either absent or whole.
    const partial = `${f.out}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await writeFile(join(partial, 'model.json'), files.modelJson);
    await writeFile(join(partial, 'weights.bin'), files.weights);
    await rm(f.out, { recursive: true, force: true });
    await rename(partial, f.out);
    io.out(
      `stock tfjs model (${meta.input.shape.join('x')} pixels 0..255 -> ${meta.input.classes} probabilities) -> ${f.out}\n`,
    );
    return 0;
  } finally {
    model.dispose();
  }
}
