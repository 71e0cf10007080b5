// The plan of a run without running it (`noisy run --dry-run`): the source is opened as the parts
// ingest fans out over, each part's labels counted (what ingest-count would commit), and ingest's
// own seeded reduce (`selectIngest`) run on those counts: the same dataset counts, output parts,
// files read in place and tasks per stage; then the training budget of every generation.
import { createRng, type CompiledExperiment } from '@noisy/core';
import type { PartedSource } from '@noisy/data';
import { modelResolution } from '@noisy/ml';
import { planIngest, planRun } from '../records/plan.js';
import { keepsLabeled, selectIngest, type PartCounts } from '../stages/ingest-select.js';

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
  source: {
    name: string;
    classes: number;
    encoded: boolean;
    train: number;
    test: number;
    extra: number;
    /** Parts ingest fans out over (files, class folders, or one per split of a source read whole). */
    parts: number;
  };
  counts: { labeled: number; unlabeled: number; dev: number; test: number };
  /** Output parts of each split; `labeled` counts the write tasks that keep labeled records (or files read in place). */
  shards: { labeled: number; unlabeled: number; dev: number; test: number };
  /** Source files the dataset would read in place instead of copying. */
  inPlace: number;
  /** Tasks per phase, in order: "ingest", "ingest-count", ... or "<phase> gen <g>". */
  tasks: Array<{ phase: string; generation: number; tasks: number }>;
  generations: DryRunGeneration[];
}

/** The source described by what a plan needs of it (a `PartedSource` without its reader). */
export type DryRunSource = Pick<PartedSource, 'name' | 'shape' | 'encoded' | 'classNames' | 'parts'>;

/**
 * What ingest-count would commit for every part, without decoding or hashing anything: labels are
 * counted, and a file that may be read in place is assumed to verify (ingest checks its pictures).
 */
export async function countSourceParts(e: CompiledExperiment, source: PartedSource): Promise<PartCounts[]> {
  const asked = e.data.source.kind === 'tfrecord' && e.data.source.readInPlace === true;
  const out: PartCounts[] = [];
  for (let p = 0; p < source.parts.length; p++) {
    const { split, file } = source.parts[p];
    const perClass: number[] = [];
    let records = 0;
    let inPlace =
      asked && source.encoded && file !== undefined && (split !== 'train' || e.data.labeledPerClass === 'all');
    for await (const r of source.records(p)) {
      if (r.label !== null) {
        while (perClass.length <= r.label) perClass.push(0);
        perClass[r.label]++;
      }
      if (r.carriesLabel) inPlace = false;
      records++;
    }
    out.push({ split, records, perClass, ...(inPlace ? { inPlace } : {}) });
  }
  return out;
}

/**
 * The plan from every part's counts (`countSourceParts`), by the reduce ingest runs itself
 * (`selectIngest`, same seed): the same counts, shards, parts read in place, and task fan-out.
 */
export function planDryRun(e: CompiledExperiment, source: DryRunSource, counts: PartCounts[]): DryRunPlan {
  const sel = selectIngest(e, counts, source.classNames, createRng(e.seed).fork('ingest-select'));
  const total = (split: PartCounts['split']) => counts.reduce((a, c) => a + (c.split === split ? c.records : 0), 0);
  const { labeled, unlabeled, dev, test } = sel.counts;
  const run = planRun('dry-run', e, 'dry-run', unlabeled ? sel.shards.unlabeled : 0);
  const phases = [run[0], ...planIngest('dry-run', 'dry-run', counts.length), ...run.slice(1)];
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
      classes: sel.classes,
      encoded: source.encoded,
      train: total('train'),
      test: total('test'),
      extra: total('unlabeled'),
      parts: counts.length,
    },
    counts: { labeled, unlabeled, dev, test },
    shards: {
      labeled: sel.parts.filter((p, i) => keepsLabeled(p, counts[i])).length,
      unlabeled: unlabeled ? sel.shards.unlabeled : 0,
      dev: sel.shards.dev,
      test: sel.shards.test,
    },
    inPlace: sel.parts.filter((p) => p.inPlace).length,
    tasks: phases.map((p) => ({ phase: p.name, generation: p.generation, tasks: p.tasks.length })),
    generations,
  };
}
