// The run summary: teacher and every generation with model, test top-1, top-5, dev top-1 and
// top-5 (null without a dev split), labeled and pseudo-labeled counts, wall time and (encoded
// pictures) the time training waited for input, built from committed manifests.
import type { CompiledExperiment } from '@noisy/core';
import { datasetKeys, runKeys } from '@noisy/contracts';
import { putJson, type ObjectStore } from '@noisy/platform';
import type { Phase } from '../records/plan.js';
import type { EvalData } from '../stages/evaluate-data.js';
import { readManifest } from '../stages/manifests.js';

export interface GenerationSummary {
  generation: number;
  role: 'teacher' | 'student';
  model: string;
  top1: number;
  top5: number;
  ece: number;
  /** The same metrics on the dev split; null when the dataset has none. */
  dev: { top1: number; top5: number; ece: number } | null;
  labeled: number;
  pseudoLabeled: number;
  parameters: number;
  /** Data-parallel ranks its train step ran on (1 for models trained before replicas existed). */
  replicas: number;
  seconds: number;
  /**
   * Encoded pictures: seconds training waited for the input pool, and their fraction of the
   * training time (near 0: decoding kept up; large: give the input pool more cores).
   */
  inputWaitSeconds?: number;
  inputWaitFraction?: number;
}

export interface RunSummary {
  runId: string;
  name: string;
  dataset: string;
  datasetId: string;
  classes: number;
  generations: GenerationSummary[];
  /**
   * The generation with the highest dev top-1 (ties: the later one), the model to use; null without
   * a dev split (test must not choose). Absent in summaries written before it existed.
   */
  best?: number | null;
}

/** The generation chosen on dev: highest dev top-1, the later one on a tie; null without dev. */
export function bestOnDev(generations: readonly Pick<GenerationSummary, 'generation' | 'dev'>[]): number | null {
  let best: { generation: number; top1: number } | null = null;
  for (const g of generations) {
    if (!g.dev) return null;
    if (!best || g.dev.top1 >= best.top1) best = { generation: g.generation, top1: g.dev.top1 };
  }
  return best?.generation ?? null;
}

const modelLabel = (m: { name: string; width: number; depth: number }) =>
  `${m.name}${m.width !== 1 ? ` w${m.width}` : ''}${m.depth !== 1 ? ` d${m.depth}` : ''}`;

const devOf = ({ dev }: Partial<EvalData>) => (dev ? { top1: dev.top1, top5: dev.top5, ece: dev.ece } : null);

export async function buildSummary(
  store: ObjectStore,
  runId: string,
  e: CompiledExperiment,
  datasetId: string,
  phases: Phase[],
): Promise<RunSummary> {
  const info = (await readManifest(store, datasetKeys.manifest(datasetId), 'dataset')).data;
  const generations: GenerationSummary[] = [];
  for (const stage of e.stages) {
    const g = stage.generation;
    const model = await readManifest(store, runKeys.modelManifest(runId, g), 'model');
    const evaluation = await readManifest(store, runKeys.evalManifest(runId, g), 'evaluation');
    let seconds = 0;
    for (const p of phases.filter((ph) => ph.generation === g && ph.name !== 'ingest')) {
      for (const t of p.tasks) seconds += (await readManifest(store, t.manifestKey)).timing.seconds;
    }
    generations.push({
      generation: g,
      role: stage.role,
      model: modelLabel(stage.model),
      top1: evaluation.data.top1,
      top5: evaluation.data.top5,
      ece: evaluation.data.ece,
      dev: devOf(evaluation.data),
      labeled: model.counts.labeled,
      pseudoLabeled: model.counts.pseudoLabeled,
      parameters: model.counts.parameters,
      replicas: model.counts.replicas ?? 1,
      seconds: Math.round(seconds * 10) / 10,
      ...(model.data.inputWaitSeconds !== undefined
        ? { inputWaitSeconds: Math.round(model.data.inputWaitSeconds * 10) / 10 }
        : {}),
      ...(model.data.inputWaitFraction !== undefined
        ? { inputWaitFraction: Math.round(model.data.inputWaitFraction * 1000) / 1000 }
        : {}),
    });
  }
  const summary: RunSummary = {
    runId,
    name: e.name,
    dataset: info.name,
    datasetId,
    classes: info.classNames.length,
    generations,
    best: bestOnDev(generations),
  };
  await putJson(store, runKeys.summary(runId), summary);
  return summary;
}
