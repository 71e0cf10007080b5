// noisy eval --model <checkpoint> --data <experiment.yaml | fashion-mnist>: evaluate a checkpoint
// on a dataset's test split (top-1, top-5, per-class accuracy, calibration). A model trained on
// encoded pictures gets the evaluation crop at its resolution, as the run's evaluate step.
import { ConfigError, compileExperiment } from '@noisy/core';
import { openSource } from '@noisy/data';
import { computeMetrics, loadCheckpoint, predictProbabilities, selectBackend } from '@noisy/ml';
import { locateModel } from '../model-arg.js';
import { openStore } from '../store.js';
import { packInputs, predictEncoded, type DatasetInfo } from '@noisy/pipeline';
import { loadExperimentFile } from '../experiment-file.js';
import { formatTable, pct } from '../table.js';
import type { CommandIo } from './io.js';

export interface EvalFlags {
  model: string;
  data: string;
  store: string;
  json?: boolean;
  backend?: string;
  limit?: number;
  offline?: boolean;
}

export async function evalCommand(flags: EvalFlags, io: CommandIo): Promise<number> {
  await selectBackend((flags.backend ?? 'auto') as 'auto');
  const store = await openStore(flags.store);
  const where = await locateModel(store, flags.model);
  const { model, meta } = await loadCheckpoint(where.store, where.prefix);
  const experiment =
    flags.data.endsWith('.yaml') || flags.data.endsWith('.yml') || flags.data.endsWith('.json')
      ? await loadExperimentFile(flags.data)
      : compileExperiment({ data: { source: { kind: flags.data } }, students: [{}] });
  const source = await openSource(experiment.data.source, { seed: experiment.seed, allowDownload: !flags.offline });
  if (source.classNames.length !== meta.input.classes)
    throw new ConfigError(
      '--data',
      `the dataset has ${source.classNames.length} classes but the model predicts ${meta.input.classes}`,
    );
  const n = Math.min(source.test.count, flags.limit ?? Infinity);
  const samples = [];
  for (let i = 0; i < n; i++) samples.push(await source.test.get(i));
  const info = { kind: meta.input.kind, shape: meta.input.shape } as DatasetInfo;
  const probs =
    meta.input.pictures === 'encoded'
      ? await predictEncoded(model, samples, 'test split', meta.input.stats, 256)
      : await predictProbabilities(model, packInputs(samples, info, 'test split'), meta.input.stats, 256);
  const m = computeMetrics(
    probs,
    Int32Array.from(samples, (s) => s.label!),
    meta.input.classes,
  );
  model.dispose();
  if (flags.json) {
    io.out(`${JSON.stringify(m, null, 2)}\n`);
    return 0;
  }
  io.out(
    `${flags.model} on ${source.name} test (${n} examples): top-1 ${pct(m.top1)}, top-5 ${pct(m.top5)}, ECE ${m.ece.toFixed(4)}\n\n`,
  );
  io.out(
    `${formatTable(
      ['class', 'accuracy'],
      source.classNames.map((c, i) => [c, pct(m.perClass[i])]),
    )}\n`,
  );
  return 0;
}
