// Train a generation: the teacher (generation 0, labeled data only) or a student (labeled +
// pseudo-labeled, noised, one forward pass, unlabel_ratio). Offline students read the filtered
// shards of their generation; online students get the previous model as a live teacher.
// Writes the checkpoint (EMA weights) and then the model manifest.
import { ConfigError, createRng, sha256Hex } from '@noisy/core';
import { runKeys, type Task } from '@noisy/contracts';
import {
  augmentForTraining,
  buildModel,
  saveCheckpoint,
  tabularNoise,
  trainModel,
  type InputNoise,
  type InputSet,
  type UnlabeledPart,
} from '@noisy/ml';
import type { StageContext } from '../context.js';
import { CurveRecorder } from '../train-curve.js';
import { commitStep, readManifest, type Part, type StepResult } from '../manifest.js';
import type { ModelCache } from '../model-cache.js';
import { loadRunView, type RunView } from '../run-view.js';

export interface TrainData {
  epochs: Array<{ epoch: number; loss: number; lr: number }>;
  steps: number;
  examplesSeen: number;
  labeled: number;
  pseudoLabeled: number;
}

function concatSets(sets: InputSet[]): InputSet | null {
  if (!sets.length) return null;
  const count = sets.reduce((a, s) => a + s.count, 0);
  const first = sets[0];
  if (first.kind === 'image') {
    const pixels = new Uint8Array(sets.reduce((a, s) => a + (s as typeof first).pixels.length, 0));
    let o = 0;
    for (const s of sets as Array<typeof first>) {
      pixels.set(s.pixels, o);
      o += s.pixels.length;
    }
    return { kind: 'image', count, shape: first.shape, pixels };
  }
  const features = new Float32Array(sets.reduce((a, s) => a + (s as typeof first).features.length, 0));
  let o = 0;
  for (const s of sets as Array<typeof first>) {
    features.set(s.features, o);
    o += s.features.length;
  }
  return { kind: 'tabular', count, shape: first.shape, features };
}

export async function trainStage(ctx: StageContext, task: Task, models: ModelCache): Promise<string> {
  const run = await loadRunView(ctx.store, task.runId);
  const key = runKeys.modelManifest(task.runId, task.generation);
  return commitStep(ctx.store, key, 'model', (attempt) => train(ctx, run, task.generation, models, attempt));
}

/** The unlabeled part of generation g's training: filtered shards (offline) or a live teacher (online). */
async function unlabeledFor(
  ctx: StageContext,
  run: RunView,
  g: number,
  models: ModelCache,
  parents: string[],
): Promise<UnlabeledPart | null> {
  const { runId, experiment: e, info, classes } = run;
  // The teacher, and a no-pseudo-label control (unlabelRatio 0), train on labeled data only.
  if (g === 0 || e.stages[g].train.unlabelRatio === 0) return null;
  if (e.mode === 'online') {
    const sets: InputSet[] = [];
    for (const part of info.unlabeled) sets.push(run.inputs(await run.samples(part), part.key));
    parents.push(runKeys.modelManifest(runId, g - 1));
    const teacher = await models.get(ctx.store, runKeys.model(runId, g - 1));
    return { set: concatSets(sets)!, teacher: teacher.model };
  }
  const sets: InputSet[] = [];
  const probs: Float32Array[] = [];
  for (let s = 0; s < run.shards; s++) {
    const mk = runKeys.filteredManifest(runId, g, s, run.shards);
    const m = await readManifest(ctx.store, mk, 'filter-output');
    parents.push(mk);
    if (m.parts[0].records === 0) continue;
    const samples = await run.samples(m.parts[0]);
    sets.push(run.inputs(samples, m.parts[0].key));
    const p = new Float32Array(samples.length * classes); // [n, C] teacher distributions
    samples.forEach((x, i) => p.set(x.probabilities!, i * classes));
    probs.push(p);
  }
  const set = concatSets(sets);
  if (!set) return null;
  const all = new Float32Array(set.count * classes);
  let o = 0;
  for (const p of probs) {
    all.set(p, o);
    o += p.length;
  }
  return { set, probabilities: all };
}

async function train(
  ctx: StageContext,
  run: RunView,
  g: number,
  models: ModelCache,
  attempt: string,
): Promise<StepResult<'model'>> {
  const { runId, experiment: e, info, classes } = run;
  const stage = e.stages[g];
  const labeledSamples = await run.samples(info.labeled);
  const labeled = {
    set: run.inputs(labeledSamples, info.labeled.key),
    labels: run.labels(labeledSamples, info.labeled.key),
  };
  const parents = [run.datasetKey];
  const unlabeled = await unlabeledFor(ctx, run, g, models, parents);
  const pseudoLabeled = unlabeled?.set.count ?? 0;

  const seed = createRng(e.seed).fork(`model:${g}`).seed;
  const model = buildModel(stage.model, { inputShape: info.shape, classes }, seed);
  try {
    if (g > 0 && stage.train.initFromTeacher) {
      const teacher = await models.get(ctx.store, runKeys.model(runId, g - 1));
      const a = teacher.model.weights.map((w) => w.shape.join('x')).join(',');
      const b = model.weights.map((w) => w.shape.join('x')).join(',');
      if (a !== b)
        throw new ConfigError(
          `students.${g - 1}.train.initFromTeacher`,
          "the student must have the teacher's architecture to start from its weights",
        );
      model.setWeights(teacher.model.weights.map((w) => w.read()));
    }
    const imageNoise = (randAugment: typeof stage.train.randAugment): InputNoise => ({
      image: (img, rng) =>
        augmentForTraining(img, { randAugment, flip: stage.train.flip, padCrop: stage.train.padCrop }, rng),
    });
    const noise: InputNoise =
      info.kind === 'image'
        ? imageNoise(stage.train.randAugment)
        : { row: tabularNoise(stage.train.tabularNoise, info.stats.std) };
    const unl = stage.train.unlabeledRandAugment;
    const unlabeledNoise = info.kind === 'image' && unl !== 'same' ? imageNoise(unl) : noise;
    const curve = new CurveRecorder();
    const result = await trainModel({
      model,
      labeled,
      unlabeled,
      classes,
      stats: info.stats,
      train: stage.train,
      pseudoLabels: e.pseudoLabels,
      noise,
      unlabeledNoise,
      rng: createRng(e.seed).fork(`train:${g}`),
      onProgress: (p) => {
        curve.add({ step: p.step, loss: p.loss, lr: p.lr, imagesPerSecond: p.imagesPerSecond });
        ctx.progress({
          unit: 'steps',
          done: p.step,
          total: p.steps,
          epoch: p.epoch,
          epochs: p.epochs,
          loss: p.loss,
          rate: p.imagesPerSecond,
        });
      },
      onEpoch: (r) => ctx.progress({ unit: 'steps', done: -1, total: -1, epoch: r.epoch, epochLoss: r.loss }),
      shouldStop: ctx.shouldStop,
    });
    if (ctx.shouldStop()) throw new Error('training stopped before it finished');
    await curve.write(ctx.store, runId, g);
    // Each attempt saves its own checkpoint; the manifest names the one that committed.
    const prefix = `${runKeys.model(runId, g)}/attempt-${attempt}`;
    const meta = await saveCheckpoint(ctx.store, prefix, model, {
      model: { name: stage.model.name, width: stage.model.width, depth: stage.model.depth },
      input: {
        kind: info.kind,
        shape: info.shape,
        classes,
        classNames: info.classNames,
        stats: info.stats,
        ...(info.encoding ? { encoding: info.encoding } : {}),
      },
      config: { stage, pseudoLabels: e.pseudoLabels, mode: e.mode, seed: e.seed },
      metrics: { finalLoss: result.epochs.at(-1)?.loss ?? null },
      parents,
    });
    const parts: Part[] = Object.entries(meta.files).map(([f, v]) => ({
      key: `${prefix}/${f}`,
      sha256: v.sha256,
      bytes: v.bytes,
      records: 1,
    }));
    const metaBytes = await ctx.store.get(`${prefix}/meta.json`);
    parts.push({ key: `${prefix}/meta.json`, sha256: sha256Hex(metaBytes), bytes: metaBytes.length, records: 1 });
    return {
      parts,
      counts: { labeled: labeled.set.count, pseudoLabeled, parameters: model.countParams(), steps: result.steps },
      parents,
      config: stage,
      data: {
        epochs: result.epochs.map((r) => ({ epoch: r.epoch, loss: r.loss, lr: r.lr })),
        steps: result.steps,
        examplesSeen: result.examplesSeen,
        labeled: labeled.set.count,
        pseudoLabeled,
      },
    };
  } finally {
    model.dispose();
  }
}
