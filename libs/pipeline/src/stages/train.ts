// Train a generation: the teacher (generation 0, labeled data only) or a student (labeled +
// pseudo-labeled, noised, one forward pass, unlabel_ratio). Offline students read the filtered
// shards of their generation; online students get the previous model as a live teacher.
// Writes the checkpoint (EMA weights) and then the model manifest. With `train.replicas` > 1
// each rank process runs this with its collective (gang.ts starts them); rank 0 alone writes the
// in-training checkpoints, the model and the manifest.
import type { Collective } from '@noisy/collective';
import { ConfigError, createRng, sha256Hex } from '@noisy/core';
import { runKeys, type Task } from '@noisy/contracts';
import {
  augmentForTraining,
  buildModel,
  modelResolution,
  saveCheckpoint,
  tabularNoise,
  trainModel,
  type InputNoise,
  type InputSet,
  type LabeledPart,
  type UnlabeledPart,
} from '@noisy/ml';
import type { StageContext } from '../records/context.js';
import { EncodedTrainBatches, type PictureSource } from '../records/encoded-input.js';
import { RecordTable } from '../records/record-table.js';
import { CurveRecorder } from '../records/train-curve.js';
import { type CacheInputs, type Part } from '../records/manifest.js';
import type { ModelCache } from '../records/model-cache.js';
import { loadRunView, type RunView } from '../records/run-view.js';
import { importTeacher } from './teacher-checkpoint.js';
import { commitStep, readManifest, type StepResult } from './manifests.js';

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

/**
 * Trains generation `task.generation` and returns its model manifest's key. With a collective of
 * several ranks, ranks above 0 train alongside rank 0 but write nothing.
 */
export async function trainStage(
  ctx: StageContext,
  task: Task,
  models: ModelCache,
  collective?: Collective,
): Promise<string> {
  const run = await loadRunView(ctx.store, task.runId);
  const g = task.generation;
  const key = runKeys.modelManifest(task.runId, g);
  const checkpoint = g === 0 ? run.experiment.teacherCheckpoint : undefined;
  if (checkpoint) return commitStep(ctx.store, key, 'model', () => importTeacher(ctx.store, run, checkpoint));
  if (collective && collective.rank > 0) {
    // Ranks above 0 train beside rank 0 and write nothing.
    await train(ctx, run, g, models, 'rank', collective);
    return key;
  }
  await commitStep(
    ctx.store,
    key,
    'model',
    (attempt) => train(ctx, run, g, models, attempt, collective),
    trainInputs(run, g),
  );
  // The model is committed: its in-training checkpoints will never be resumed from again.
  const states = await ctx.store.list(`${runKeys.trainState(task.runId, g)}/`);
  for (const k of states) await ctx.store.delete(k);
  await copyCurveIfReused(ctx, key, task.runId, g);
  return key;
}

/**
 * What generation g's training reads, for the step cache: the dataset, the filtered shards
 * (offline) or the live teacher (online, initFromTeacher), and every setting that shapes it.
 */
function trainInputs(run: RunView, g: number): CacheInputs {
  const { runId, experiment: e, shards: S } = run;
  const stage = e.stages[g];
  const parents = [run.datasetKey];
  if (g > 0 && stage.train.unlabelRatio > 0) {
    if (e.mode === 'online') parents.push(runKeys.modelManifest(runId, g - 1));
    else for (let s = 0; s < S; s++) parents.push(runKeys.filteredManifest(runId, g, s, S));
  }
  if (g > 0 && stage.train.initFromTeacher) parents.push(runKeys.modelManifest(runId, g - 1));
  // The seed and generation pick the model's initial weights and the training stream.
  const config = { stage, generation: g, seed: e.seed, mode: e.mode, pseudoLabels: g > 0 ? e.pseudoLabels : null };
  return { parents, config };
}

/** A reused model keeps its run's learning curve: copy it beside this run's generation. */
async function copyCurveIfReused(ctx: StageContext, key: string, runId: string, g: number): Promise<void> {
  const m = await readManifest(ctx.store, key, 'model');
  const curve = runKeys.trainCurve(runId, g);
  if (!m.reusedFrom || (await ctx.store.head(curve))) return;
  const earlier = m.reusedFrom.replace(/model\/manifest\.json$/, 'train-curve.json');
  if (earlier !== m.reusedFrom && (await ctx.store.head(earlier)))
    await ctx.store.put(curve, await ctx.store.get(earlier));
}

/** The unlabeled part of generation g's training: filtered shards (offline) or a live teacher (online). */
async function unlabeledFor(
  ctx: StageContext,
  run: RunView,
  g: number,
  models: ModelCache,
  parents: string[],
): Promise<(UnlabeledPart & { pictures?: PictureSource }) | null> {
  const { runId, experiment: e, info, classes } = run;
  // The teacher, and a no-pseudo-label control (unlabelRatio 0), train on labeled data only.
  if (g === 0 || e.stages[g].train.unlabelRatio === 0) return null;
  if (e.mode === 'online' && info.encoded)
    throw new ConfigError(
      'mode',
      'online students need a dataset of pixels; datasets of encoded pictures use mode: offline',
    );
  if (e.mode === 'online') {
    const sets: InputSet[] = [];
    for (const part of info.unlabeled) sets.push((await run.packed(part)).set);
    parents.push(runKeys.modelManifest(runId, g - 1));
    const teacher = await models.generation(ctx.store, runId, g - 1);
    return { set: concatSets(sets)!, teacher: teacher.model };
  }
  const filtered: Part[] = [];
  for (let s = 0; s < run.shards; s++) {
    const mk = runKeys.filteredManifest(runId, g, s, run.shards);
    const m = await readManifest(ctx.store, mk, 'filter-output');
    parents.push(mk);
    if (m.parts[0].records > 0) filtered.push(m.parts[0]);
  }
  if (info.encoded) {
    // Pictures and teacher distributions are read from the filtered shards step by step.
    if (!filtered.length) return null;
    const table = await RecordTable.build(ctx.store, filtered, { classes, onProgress: scanProgress(ctx) });
    return { set: { kind: 'external', count: table.count, shape: [] }, pictures: table };
  }
  const sets: InputSet[] = [];
  const probs: Float32Array[] = [];
  for (const part of filtered) {
    const packed = await run.packed(part, { probabilities: true });
    sets.push(packed.set);
    probs.push(packed.probabilities!); // [n, C] teacher distributions
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

/** Progress of the pass that indexes a split's records before training reads them one by one. */
const scanProgress =
  (ctx: StageContext) =>
  (done: number, total: number): void =>
    ctx.progress({ unit: 'bytes', done, total });

/** Input wait as a fraction of a stretch of training (0 for one too short to time). */
const waitFraction = (t: { seconds: number; inputWaitSeconds: number }): number =>
  t.seconds > 0 ? Math.min(1, t.inputWaitSeconds / t.seconds) : 0;

/** The model's input side on a dataset of encoded pictures: its override, its native size, else the pictures'. */
export function trainResolution(run: RunView, g: number): number | null {
  const { info, experiment: e } = run;
  if (!info.encoded) return null;
  const m = e.stages[g].model;
  return modelResolution(m.name, m.resolution ?? null) ?? Math.min(info.shape[0], info.shape[1]);
}

/**
 * The input pool of generation g's training on encoded pictures (the train stage, and the folds of
 * label issues): its batch, crops and RandAugment settings over the given pictures.
 */
export function encodedTrainBatches(
  run: RunView,
  g: number,
  o: { resolution: number; seed: number; labeled: PictureSource; unlabeled: PictureSource | null; rank?: number },
): EncodedTrainBatches {
  const t = run.experiment.stages[g].train;
  const raOf = (r: typeof t.randAugment) =>
    r ? { randAugment: { layers: r.layers, magnitude: r.magnitude, cutoutOp: r.cutoutOp } } : { randAugment: null };
  const unlRa = t.unlabeledRandAugment;
  return new EncodedTrainBatches({
    resolution: o.resolution,
    stats: run.info.stats,
    seed: o.seed,
    perStep: t.batchSize + Math.ceil(t.batchSize * t.unlabelRatio),
    labeledPerStep: t.batchSize,
    labeled: { source: o.labeled, augment: raOf(t.randAugment) },
    unlabeled: o.unlabeled ? { source: o.unlabeled, augment: raOf(unlRa === 'same' ? t.randAugment : unlRa) } : null,
    rank: o.rank,
  });
}

async function train(
  ctx: StageContext,
  run: RunView,
  g: number,
  models: ModelCache,
  attempt: string,
  collective?: Collective,
): Promise<StepResult<'model'>> {
  const { runId, experiment: e, info, classes } = run;
  const stage = e.stages[g];
  const resolution = trainResolution(run, g);
  const inputShape = resolution ? [resolution, resolution, 3] : info.shape;
  let labeled: LabeledPart;
  let labeledPictures: PictureSource | null = null;
  if (resolution) {
    // Encoded pictures: indexed once, then read record by record, decoded and cropped per step
    // by the input pool; only their places and labels stay in memory.
    const table = await RecordTable.build(ctx.store, info.labeled, {
      labels: true,
      classes,
      onProgress: scanProgress(ctx),
    });
    labeledPictures = table;
    labeled = { set: { kind: 'external' as const, count: table.count, shape: inputShape }, labels: table.labels! };
  } else {
    const labeledPacked = await run.packed(info.labeled, { labels: true });
    labeled = { set: labeledPacked.set, labels: labeledPacked.labels! };
  }
  const parents = [run.datasetKey];
  const unlabeled = await unlabeledFor(ctx, run, g, models, parents);
  const pseudoLabeled = unlabeled?.set.count ?? 0;
  const unlabeledPictures = unlabeled?.pictures ?? null;
  const batches = labeledPictures
    ? encodedTrainBatches(run, g, {
        resolution: resolution!,
        seed: createRng(e.seed).fork(`input:${g}`).seed,
        labeled: labeledPictures,
        unlabeled: unlabeledPictures,
        rank: collective && collective.size > 1 ? collective.rank : undefined,
      })
    : undefined;

  const seed = createRng(e.seed).fork(`model:${g}`).seed;
  const model = buildModel(stage.model, { inputShape, classes }, seed);
  try {
    if (g > 0 && stage.train.initFromTeacher) {
      const teacher = await models.generation(ctx.store, runId, g - 1);
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
    // A retry resumes only from checkpoints of this very step: same config, data and inputs.
    const fingerprint = sha256Hex(
      JSON.stringify({
        stage,
        pseudoLabels: e.pseudoLabels,
        seed: e.seed,
        mode: e.mode,
        dataset: run.datasetKey,
        parents,
      }),
    );
    const rank = collective?.rank ?? 0;
    let reached = { done: 0, total: 0 };
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
      batches,
      onProgress: (p) => {
        curve.add({ step: p.step, loss: p.loss, lr: p.lr, imagesPerSecond: p.imagesPerSecond });
        reached = { done: p.step, total: p.steps };
        ctx.progress({
          unit: 'steps',
          done: p.step,
          total: p.steps,
          epoch: p.epoch,
          epochs: p.epochs,
          loss: p.loss,
          rate: p.imagesPerSecond,
          ...(batches ? { inputWaitSeconds: p.inputWaitSeconds, inputWaitFraction: p.inputWaitFraction } : {}),
        });
      },
      // The epoch's last step has just been reported: its event repeats that step (progress events
      // carry counts, never negatives, or the bus refuses them).
      onEpoch: (r) =>
        ctx.progress({
          unit: 'steps',
          ...reached,
          epoch: r.epoch,
          epochLoss: r.loss,
          ...(batches ? { inputWaitSeconds: r.inputWaitSeconds, inputWaitFraction: waitFraction(r) } : {}),
        }),
      shouldStop: ctx.shouldStop,
      collective,
      checkpoints: {
        store: ctx.store,
        prefix: runKeys.trainState(runId, g),
        everySteps: stage.train.checkpoint.everySteps,
        everyMinutes: stage.train.checkpoint.everyMinutes,
        fingerprint,
      },
    });
    if (ctx.shouldStop()) throw new Error('training stopped before it finished');
    const counts = {
      labeled: labeled.set.count,
      pseudoLabeled,
      parameters: model.countParams(),
      steps: result.steps,
      replicas: collective?.size ?? 1,
    };
    const data = {
      epochs: result.epochs.map((r) => ({ epoch: r.epoch, loss: r.loss, lr: r.lr })),
      steps: result.steps,
      examplesSeen: result.examplesSeen,
      labeled: labeled.set.count,
      pseudoLabeled,
      resumedFrom: result.resumedFrom,
      ...(resolution
        ? { resolution, inputWaitSeconds: result.inputWaitSeconds, inputWaitFraction: waitFraction(result) }
        : {}),
    };
    if (rank > 0) return { parts: [], counts, parents, config: stage, data };
    await curve.write(ctx.store, runId, g);
    // Each attempt saves its own checkpoint; the manifest names the one that committed.
    const prefix = `${runKeys.model(runId, g)}/attempt-${attempt}`;
    const meta = await saveCheckpoint(ctx.store, prefix, model, {
      model: { name: stage.model.name, width: stage.model.width, depth: stage.model.depth },
      input: {
        kind: info.kind,
        shape: inputShape,
        classes,
        classNames: info.classNames,
        stats: info.stats,
        ...(info.encoding ? { encoding: info.encoding } : {}),
        ...(resolution ? { pictures: 'encoded' as const } : {}),
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
      counts,
      parents,
      config: stage,
      data,
    };
  } finally {
    model.dispose();
    await batches?.close();
  }
}
