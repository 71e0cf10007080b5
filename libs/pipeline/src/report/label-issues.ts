// Label issues as users expect them (cleanlab's workflow): out-of-sample probabilities for every
// labeled example by stratified K-fold (K models of generation g's architecture and settings,
// each trained on K-1 folds of the labeled set, plus for a student generation its stored
// pseudo-labeled set, and predicting its held-out fold), then confident learning with per-class
// thresholds (confident-learning.ts). A held-out example is never trained on; the pseudo-labels
// came from a teacher that saw every label, which can hide an issue but not invent one. The folds
// train one after another in this process, so K folds cost about K trainings of generation g.
// `pred_probs` and `labels` are returned so users can run cleanlab themselves. On encoded pictures
// the folds train through the input pool at generation g's resolution (as the train stage) and
// predict their held-out fold with the evaluation crop (as evaluation and `noisy predict`).
import { ConfigError, createRng, shuffleInPlace } from '@noisy/core';
import type { Sample } from '@noisy/data';
import {
  augmentForTraining,
  buildModel,
  predictProbabilities,
  tabularNoise,
  trainModel,
  type ExternalSet,
  type InputNoise,
  type InputSet,
  type UnlabeledPart,
} from '@noisy/ml';
import { runKeys } from '@noisy/contracts';
import type { ObjectStore } from '@noisy/platform';
import { findIssuesByConfidentLearning } from '../analysis/confident-learning.js';
import { loadRunView, type RunView } from '../records/run-view.js';
import { memoryPictures, pictureList, predictEncoded, type PictureList } from '../records/encoded-input.js';
import { readLabeled } from '../records/labeled-split.js';
import { encodedTrainBatches, trainResolution } from '../stages/train.js';
import { readManifest } from '../stages/manifests.js';

export interface LabelIssue {
  id: string;
  givenClass: number;
  givenName: string;
  predictedClass: number;
  predictedName: string;
  /** Out-of-sample probability of the predicted class. */
  confidence: number;
  /** Out-of-sample probability of the given class. */
  givenProbability: number;
}

/** Out-of-sample predictions of the labeled set, in its order. */
export interface OutOfSample {
  ids: string[];
  labels: Int32Array;
  /** [N, C] row-major: cleanlab's `pred_probs`. */
  probs: Float32Array;
  classes: number;
  classNames: string[];
  folds: number;
}

export interface LabelIssueOptions {
  /** K of the K-fold. @default 5 */
  folds?: number;
  /** Keep only issues whose predicted class has at least this probability. @default 0 */
  minConfidence?: number;
  onFold?: (fold: number, folds: number) => void;
}

/** Stratified folds: each class's examples shuffled (seeded) and dealt round-robin. */
export function stratifiedFolds(labels: Int32Array, classes: number, K: number, seed: number): Int32Array {
  const fold = new Int32Array(labels.length);
  const rng = createRng(seed).fork('label-issues:folds');
  let next = 0;
  for (let c = 0; c < classes; c++) {
    const members: number[] = [];
    labels.forEach((y, i) => y === c && members.push(i));
    shuffleInPlace(members, rng);
    for (const i of members) fold[i] = next++ % K;
  }
  return fold;
}

/** The input noise generation g trains with, for labeled and pseudo-labeled examples (as the train stage). */
function noiseOf(run: RunView, g: number): { noise: InputNoise; unlabeledNoise: InputNoise } {
  const t = run.experiment.stages[g].train;
  if (run.info.kind !== 'image') {
    const noise = { row: tabularNoise(t.tabularNoise, run.info.stats.std) };
    return { noise, unlabeledNoise: noise };
  }
  const image = (randAugment: typeof t.randAugment): InputNoise => ({
    image: (img, rng) => augmentForTraining(img, { randAugment, flip: t.flip, padCrop: t.padCrop }, rng),
  });
  const noise = image(t.randAugment);
  return { noise, unlabeledNoise: t.unlabeledRandAugment === 'same' ? noise : image(t.unlabeledRandAugment) };
}

/**
 * Generation g's stored pseudo-labeled set (offline students), as its training read it; else null.
 * Encoded pictures stay bytes (`pictures`) for the input pool.
 */
async function pseudoLabeled(
  run: RunView,
  g: number,
  inputShape: number[],
): Promise<(UnlabeledPart & { pictures: PictureList | null }) | null> {
  const { experiment: e, shards: S, classes, runId } = run;
  if (g === 0 || e.mode !== 'offline' || e.stages[g].train.unlabelRatio === 0) return null;
  const parts: Array<{ samples: Sample[]; shard: string }> = [];
  for (let s = 0; s < S; s++) {
    const m = await readManifest(run.store, runKeys.filteredManifest(runId, g, s, S), 'filter-output');
    if (m.parts[0].records) parts.push({ samples: await run.samples(m.parts[0]), shard: m.parts[0].key });
  }
  const samples = parts.flatMap((p) => p.samples);
  if (!samples.length) return null;
  const pictures = run.info.encoded ? pictureList(parts) : null;
  const set: InputSet | ExternalSet = pictures
    ? { kind: 'external', count: samples.length, shape: inputShape }
    : run.inputs(samples, `${runId} generation ${g} filtered set`);
  const probabilities = new Float32Array(samples.length * classes); // [n, C] teacher distributions
  samples.forEach((x, i) => probabilities.set(x.probabilities!, i * classes));
  return { set, probabilities, pictures };
}

/** The pictures of `list` at `indices` (keeping their shard and record for errors). */
const subset = (list: PictureList, indices: number[]): PictureList => ({
  bytes: indices.map((i) => list.bytes[i]),
  shard: indices.map((i) => list.shard[i]),
  record: Int32Array.from(indices, (i) => list.record[i]),
});

export async function outOfSampleProbabilities(
  run: RunView,
  g: number,
  o: LabelIssueOptions = {},
): Promise<OutOfSample> {
  const K = o.folds ?? 5;
  const { info, classes, experiment: e } = run;
  if (!e.stages[g]) throw new ConfigError('--generation', `run ${run.runId} has generations 0..${e.stages.length - 1}`);
  const split = await readLabeled(run);
  const { samples, labels } = split;
  if (!Number.isInteger(K) || K < 2 || K > samples.length)
    throw new ConfigError('--folds', `must be an integer from 2 to the ${samples.length} labeled examples, got ${K}`);
  const stage = e.stages[g];
  const fold = stratifiedFolds(labels, classes, K, e.seed);
  const probs = new Float32Array(samples.length * classes); // [N, C]
  // Encoded pictures: generation g's resolution, the input pool for training, the evaluation crop for the held-out fold.
  const resolution = trainResolution(run, g);
  const inputShape = resolution ? [resolution, resolution, 3] : info.shape;
  const pictures = resolution ? pictureList(split.parts) : null;
  const unlabeled = await pseudoLabeled(run, g, inputShape);
  for (let k = 0; k < K; k++) {
    o.onFold?.(k, K);
    const trainIdx = samples.map((_, i) => i).filter((i) => fold[i] !== k);
    const train = trainIdx.map((i) => samples[i]);
    const held = samples.map((_, i) => i).filter((i) => fold[i] === k);
    const model = buildModel(
      stage.model,
      { inputShape, classes },
      createRng(e.seed).fork(`label-issues:model:${g}:${k}`).seed,
    );
    const batches = pictures
      ? encodedTrainBatches(run, g, {
          resolution: resolution!,
          seed: createRng(e.seed).fork(`label-issues:input:${g}:${k}`).seed,
          labeled: memoryPictures(subset(pictures, trainIdx)),
          unlabeled: unlabeled?.pictures
            ? memoryPictures(unlabeled.pictures, { values: unlabeled.probabilities!, classes })
            : null,
        })
      : undefined;
    try {
      await trainModel({
        model,
        labeled: {
          set: pictures ? { kind: 'external', count: train.length, shape: inputShape } : run.inputs(train, split.name),
          labels: Int32Array.from(trainIdx, (i) => labels[i]),
        },
        unlabeled,
        classes,
        stats: info.stats,
        train: unlabeled ? stage.train : { ...stage.train, unlabelRatio: 0 },
        pseudoLabels: e.pseudoLabels,
        ...noiseOf(run, g),
        rng: createRng(e.seed).fork(`label-issues:train:${g}:${k}`),
        batches,
      });
      const heldSamples = held.map((i) => samples[i]);
      const p = pictures
        ? await predictEncoded(model, heldSamples, (r) => split.where(held[r]), info.stats, e.predictBatchSize)
        : await predictProbabilities(model, run.inputs(heldSamples, split.name), info.stats, e.predictBatchSize);
      held.forEach((i, r) => probs.set(p.subarray(r * classes, (r + 1) * classes), i * classes));
    } finally {
      model.dispose();
      await batches?.close();
    }
  }
  return { ids: samples.map((s) => s.id), labels, probs, classes, classNames: info.classNames, folds: K };
}

/**
 * Labeled examples whose given label is likely wrong: confident learning on K-fold out-of-sample
 * probabilities of generation g's model settings, most confident first.
 */
export async function findLabelIssues(
  store: ObjectStore,
  runId: string,
  g: number,
  o: LabelIssueOptions = {},
): Promise<{ issues: LabelIssue[]; outOfSample: OutOfSample }> {
  const run = await loadRunView(store, runId);
  const oos = await outOfSampleProbabilities(run, g, o);
  const { probs, labels, classes, classNames } = oos;
  const mask = findIssuesByConfidentLearning(probs, labels, classes);
  const issues: LabelIssue[] = [];
  mask.forEach((isIssue, i) => {
    if (!isIssue) return;
    const row = probs.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
    if (row[best] < (o.minConfidence ?? 0)) return;
    issues.push({
      id: oos.ids[i],
      givenClass: labels[i],
      givenName: classNames[labels[i]],
      predictedClass: best,
      predictedName: classNames[best],
      confidence: row[best],
      givenProbability: row[labels[i]],
    });
  });
  return { issues: issues.sort((a, b) => b.confidence - a.confidence), outOfSample: oos };
}
