// The plan of a run without running it (`noisy run --dry-run`): the source is opened (shards
// scanned, labels read, the first picture checked) and the experiment checked against it, then
// the counts ingest would produce, the shards, the tasks per stage and the training budget of
// every generation are worked out from the same formulas the stages use.
import { ConfigError, type CompiledExperiment } from '@noisy/core';
import type { SourceDataset } from '@noisy/data';
import { modelResolution } from '@noisy/ml';
import { planIngest, planRun } from './plan.js';
import { carveDev } from './stages/ingest.js';

const TEST_SHARD = 10_000;

export interface DryRunGeneration {
  generation: number;
  model: string;
  /** Model input [H, W, C]. */
  input: number[];
  steps: number;
  labeledBatch: number;
  unlabeledBatch: number;
  /** Images through the model in training: steps x (labeled + unlabeled batch). */
  images: number;
}

export interface DryRunPlan {
  source: { name: string; classes: number; encoded: boolean; train: number; test: number; extra: number };
  counts: { labeled: number; unlabeled: number; dev: number; test: number };
  shards: { unlabeled: number; dev: number; test: number };
  /** Tasks per phase, in order: "ingest" or "<phase> gen <g>". */
  tasks: Array<{ phase: string; generation: number; tasks: number }>;
  generations: DryRunGeneration[];
}

/** `sourceParts`: how many parts ingest fans out over (`openSourceParts`), to list its tasks too. */
export function planDryRun(e: CompiledExperiment, source: SourceDataset, sourceParts?: number): DryRunPlan {
  const classes = source.classNames.length;
  const labels = source.train.labels;
  if (!labels) throw new ConfigError('data.source', 'the training split has no labels');
  const { dev, isDev } = carveDev(e, source.train.count);
  const perClass = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) if (!isDev[i]) perClass[labels[i]]++;
  const N = e.data.labeledPerClass;
  let labeled = 0;
  perClass.forEach((n, c) => {
    if (N !== 'all' && n < N)
      throw new ConfigError(
        'data.labeledPerClass',
        `asks ${N} labeled examples per class but class '${source.classNames[c]}' has only ${n} training examples`,
      );
    labeled += N === 'all' ? n : N;
  });
  const extra = source.unlabeled?.count ?? 0;
  const rest = source.train.count - dev.length - labeled + extra;
  const unlabeled = e.data.unlabeled === 'rest' ? rest : Math.min(rest, e.data.unlabeled);
  const test = Math.min(source.test.count, e.data.testLimit ?? Infinity);
  const shards = Math.max(1, Math.min(e.data.unlabeledShards, unlabeled));
  const run = planRun('dry-run', e, 'dry-run', unlabeled ? shards : 0);
  const phases = sourceParts ? [run[0], ...planIngest('dry-run', 'dry-run', sourceParts), ...run.slice(1)] : run;
  const generations = e.stages.map((stage, g): DryRunGeneration => {
    const B = stage.train.batchSize;
    const steps = stage.train.steps ?? Math.max(1, Math.ceil(stage.train.epochs * Math.max(1, Math.ceil(labeled / B))));
    const U = g > 0 && stage.train.unlabelRatio > 0 && unlabeled > 0 ? Math.ceil(B * stage.train.unlabelRatio) : 0;
    const r = source.encoded
      ? (modelResolution(stage.model.name, stage.model.resolution ?? null) ??
        Math.min(source.shape[0], source.shape[1]))
      : null;
    return {
      generation: g,
      model: stage.model.name + (stage.model.width !== 1 ? ` w${stage.model.width}` : ''),
      input: r ? [r, r, 3] : source.shape,
      steps,
      labeledBatch: B,
      unlabeledBatch: U,
      images: steps * (B + U),
    };
  });
  return {
    source: {
      name: source.name,
      classes,
      encoded: source.encoded === true,
      train: source.train.count,
      test: source.test.count,
      extra,
    },
    counts: { labeled, unlabeled, dev: dev.length, test },
    shards: {
      unlabeled: unlabeled ? shards : 0,
      dev: Math.ceil(dev.length / TEST_SHARD),
      test: Math.max(1, Math.ceil(test / TEST_SHARD)),
    },
    tasks: phases.map((p) => ({ phase: p.name, generation: p.generation, tasks: p.tasks.length })),
    generations,
  };
}
