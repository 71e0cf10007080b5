// The training loop of teacher and student: labeled batch B and unlabeled batch ceil(B * ratio)
// concatenated into one forward pass (shared batch-norm statistics), the Noisy Student loss,
// TF-style RMSProp with weight decay, the original's LR schedule, EMA after every step. At the
// end the model holds the EMA weights, which evaluation, prediction and checkpoints use.
// Optionally one rank of several (data-parallel.ts) and with resumable in-training checkpoints
// (train-state.ts); one rank without checkpoints is plain single-process training.
import * as tf from '@tensorflow/tfjs';
import type { Collective } from '@noisy/collective';
import { ArtifactError, ConfigError, type CompiledTrainSpec, type PseudoLabelSpec, type Rng } from '@noisy/core';
import { makeBatch, type InputNoise, type InputSet, type InputStats } from '../input.js';
import { isDecayed } from '../models/registry.js';
import { broadcastWeights, checkReplicasAgree, rankSlice, reduceStep } from './data-parallel.js';
import { Ema } from './ema.js';
import { IndexStream } from './index-stream.js';
import { noisyStudentLoss, type UnlabeledTargets } from './loss.js';
import { Optimizer } from './optimizer.js';
import { learningRateAt } from './schedule.js';
import {
  assignAll,
  loadLatestTrainState,
  saveTrainState,
  type StreamState,
  type TrainCheckpointing,
} from './train-state.js';

/** Examples whose batches a `BatchProvider` makes (encoded pictures): only their count and model input shape. */
export interface ExternalSet {
  kind: 'external';
  count: number;
  shape: number[];
}

/**
 * Builds batches outside the loop (decode, crop, augment in worker threads). The trainer asks for
 * step s's batch `ahead` steps early, with the indices it drew, then takes it when step s runs.
 */
export interface BatchProvider {
  readonly ahead: number;
  /** Start preparing step `step`: labeled indices then unlabeled ones (this rank's slice). */
  request(step: number, labeled: Int32Array, unlabeled: Int32Array | null): void;
  /** Step `step`'s input, and the teacher's distributions of its unlabeled rows when they come with the pictures. */
  take(step: number): Promise<ProvidedBatch>;
  /** A taken batch nothing reads any more (its tensor is disposed): its memory may be reused. */
  release?(batch: ProvidedBatch): void;
}

export interface ProvidedBatch {
  /** [b + u, ...shape] normalised floats. */
  input: Float32Array;
  /**
   * [u, classes] stored teacher distributions of the unlabeled rows, read with their pictures (an
   * unlabeled `ExternalSet` streamed from its shards has no `UnlabeledPart.probabilities`).
   */
  unlabeledProbabilities?: Float32Array;
}

export interface LabeledPart {
  set: InputSet | ExternalSet;
  labels: Int32Array;
}
export interface UnlabeledPart {
  set: InputSet | ExternalSet;
  /** Stored teacher probabilities [count * classes] (offline mode; or with each provided batch)... */
  probabilities?: Float32Array;
  /** ...or a teacher that predicts on the clean batch inside training (online mode). */
  teacher?: tf.LayersModel;
}

export interface TrainProgress {
  step: number;
  steps: number;
  epoch: number;
  epochs: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  /** Seconds spent waiting for input batches so far (a `BatchProvider` that fell behind). */
  inputWaitSeconds: number;
  /** That wait as a fraction of the loop's time so far. */
  inputWaitFraction: number;
}
export interface EpochRecord {
  epoch: number;
  loss: number;
  lr: number;
  seconds: number;
  /** Seconds of this epoch spent waiting for input batches. */
  inputWaitSeconds: number;
}

export interface TrainRequest {
  model: tf.LayersModel;
  labeled: LabeledPart;
  unlabeled: UnlabeledPart | null;
  classes: number;
  stats: InputStats;
  train: CompiledTrainSpec;
  pseudoLabels: PseudoLabelSpec;
  /** Training noise per example (RandAugment / tabular noise). */
  noise: InputNoise;
  /** Noise for the unlabeled (pseudo-labeled) part of the batch; default `noise`. */
  unlabeledNoise?: InputNoise;
  rng: Rng;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (e: EpochRecord) => void;
  /** Return true to stop early (cancellation); checked between steps (with replicas: all stop after the step). */
  shouldStop?: () => boolean;
  /**
   * Data parallelism: this process is one rank of `collective.size`; `train.batchSize` stays the
   * global batch and each rank trains on its slice. Absent: one process.
   */
  collective?: Collective;
  /** In-training checkpoints (rank 0 writes); training resumes from the last one that matches. */
  checkpoints?: TrainCheckpointing;
  /** Batches of `ExternalSet`s (required when the labeled set is one). */
  batches?: BatchProvider;
}

export interface TrainResult {
  /** Steps run in this call (after `resumedFrom`). */
  steps: number;
  /** The in-training checkpoint's step this call resumed from (0: from the start). */
  resumedFrom: number;
  epochs: EpochRecord[];
  seconds: number;
  examplesSeen: number;
  /** Seconds the loop waited for input batches. */
  inputWaitSeconds: number;
}

function unlabeledTargets(
  req: TrainRequest,
  indices: Int32Array,
  clean: tf.Tensor | null,
  provided?: Float32Array,
): UnlabeledTargets {
  const C = req.classes;
  return tf.tidy(() => {
    let probs: tf.Tensor2D;
    if (req.unlabeled?.teacher && clean) {
      // Online teacher: clean inputs, inference mode; soft targets at temperature T are softmax(logits / T).
      const logits = req.unlabeled.teacher.apply(clean, { training: false }) as tf.Tensor2D;
      const T = req.pseudoLabels.kind === 'soft' ? req.pseudoLabels.temperature : 1;
      probs = tf.softmax(tf.div(logits, T)) as tf.Tensor2D;
      if (req.pseudoLabels.kind === 'soft') return { kind: 'soft', probabilities: probs, temperature: 1 };
    } else if (provided) {
      probs = tf.tensor2d(provided, [indices.length, C]);
    } else {
      const src = req.unlabeled?.probabilities;
      if (!src) throw new Error('trainModel: the unlabeled set has no teacher, stored or provided, distributions');
      const buf = new Float32Array(indices.length * C);
      indices.forEach((i, k) => buf.set(src.subarray(i * C, (i + 1) * C), k * C));
      probs = tf.tensor2d(buf, [indices.length, C]);
    }
    switch (req.pseudoLabels.kind) {
      case 'soft':
        return { kind: 'soft', probabilities: probs, temperature: req.pseudoLabels.temperature };
      case 'hard':
        return { kind: 'hard', labels: tf.argMax(probs, 1) as tf.Tensor1D };
    }
  });
}

/** Layers whose per-call seeds or warm-up counters advance once per training step (dropout, stochastic depth, BN). */
interface Seekable {
  seekTrainingCalls(n: number): void;
}
const seekable = (l: unknown): l is Seekable => typeof (l as Seekable).seekTrainingCalls === 'function';

export async function trainModel(req: TrainRequest): Promise<TrainResult> {
  const { model, train } = req;
  const collective = req.collective ?? null;
  const size = collective?.size ?? 1;
  const rank = collective?.rank ?? 0;
  const B = train.batchSize; // the global batch: each rank takes its slice of it
  const nLab = req.labeled.set.count;
  const stepsPerEpoch = Math.max(1, Math.ceil(nLab / B));
  const steps = train.steps ?? Math.max(1, Math.ceil(train.epochs * stepsPerEpoch));
  const useUnlabeled = req.unlabeled !== null && train.unlabelRatio > 0 && req.unlabeled.set.count > 0;
  const U = useUnlabeled ? Math.ceil(B * train.unlabelRatio) : 0;
  if (B < size)
    throw new ConfigError('train.batchSize', `${B} is smaller than the ${size} replicas: every rank needs examples`);
  const [labFrom, labTo] = rankSlice(B, rank, size);
  const [unlFrom, unlTo] = rankSlice(U, rank, size);
  const shares =
    size > 1 ? { labeled: (labTo - labFrom) / B, unlabeled: U > 0 ? (unlTo - unlFrom) / U : 0 } : undefined;
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const bnStats = model.nonTrainableWeights;
  const optimizer = new Optimizer(trainable, {
    kind: train.optimizer,
    weightDecay: train.weightDecay,
    decayed: isDecayed,
  });
  const ema = new Ema(model.weights, train.emaDecay);
  const ckpt = req.checkpoints ?? null;
  try {
    // Same start on every rank: rank 0's weights, or the last in-training checkpoint.
    if (collective && size > 1) await broadcastWeights(collective, model.weights);
    const resumed = ckpt ? await loadLatestTrainState(ckpt) : null;
    let start = 0;
    if (resumed) {
      assignAll(model.weights, resumed.weights, `${ckpt!.prefix} (weights)`);
      assignAll(ema.shadows, resumed.shadows, `${ckpt!.prefix} (EMA)`);
      assignAll(optimizer.state().slots, resumed.slots, `${ckpt!.prefix} (optimiser slots)`);
      optimizer.restoreStep(resumed.state.optimizerStep);
      ema.restoreUpdates(resumed.state.emaUpdates);
      start = resumed.state.step;
    }
    if (collective && size > 1) {
      const starts = await collective.allGather(Float64Array.of(start));
      if (starts.some((s) => s !== start))
        throw new ArtifactError(
          ckpt?.prefix ?? 'train-state',
          `ranks resume from different steps ${starts.join(', ')}`,
          {
            retryable: true,
          },
        );
    }
    for (const l of model.layers) if (seekable(l)) l.seekTrainingCalls(start);
    const labStream = new IndexStream(nLab, req.rng.fork('labeled-order'), resumed?.state.labeledOrder);
    const unlStream = useUnlabeled
      ? new IndexStream(
          req.unlabeled!.set.count,
          req.rng.fork('unlabeled-order'),
          resumed?.state.unlabeledOrder ?? undefined,
        )
      : null;
    // One noise generator per step (and per rank): the step number is the whole RNG state.
    const noiseBase = req.rng.fork(size > 1 ? `noise:${rank}` : 'noise');
    // A batch provider prepares steps ahead: indices are drawn at request time, and the stream
    // state after each step's draw is kept for that step's checkpoint.
    const provider = req.batches ?? null;
    if (!provider && (req.labeled.set.kind === 'external' || req.unlabeled?.set.kind === 'external'))
      throw new Error('trainModel: external sets need a batch provider');
    if (provider && req.unlabeled?.teacher)
      throw new ConfigError('mode', 'online students need pictures as pixels; use mode: offline');
    const planned = new Map<
      number,
      { lab: Int32Array; unl: Int32Array | null; states: [StreamState, StreamState | null] }
    >();
    const plan = (s: number) => {
      const lab = labStream.take(B).subarray(labFrom, labTo);
      const unl = unlStream ? unlStream.take(U).subarray(unlFrom, unlTo) : null;
      planned.set(s, { lab, unl, states: [labStream.state(), unlStream?.state() ?? null] });
      provider?.request(s, lab, unl);
    };
    if (provider) for (let s = start; s < Math.min(steps, start + provider.ahead); s++) plan(s);
    let waitedMs = 0;
    const schedule = { ...train, stepsPerEpoch, totalSteps: steps };
    const epochs: EpochRecord[] = [];
    const started = performance.now();
    let epochLoss = 0,
      epochSteps = 0,
      epochStart = started,
      epochWaitedMs = 0,
      lastReport = started,
      lastCheckpoint = started,
      done = 0;
    for (let step = start; step < steps; step++) {
      const stopWanted = req.shouldStop?.() ?? false;
      if (stopWanted && size === 1) break;
      const lr = learningRateAt(step, schedule);
      const noiseRng = noiseBase.fork(step);
      if (provider) {
        if (step + provider.ahead < steps) plan(step + provider.ahead);
      } else plan(step);
      const { lab: labIdx, unl: unlIdx, states } = planned.get(step)!;
      planned.delete(step);
      let x: tf.Tensor; // [b + u, ...shape] this rank's slice
      let clean: tf.Tensor | null = null;
      let provided: Float32Array | undefined;
      let batch: ProvidedBatch | null = null;
      if (provider) {
        const waitFrom = performance.now();
        batch = await provider.take(step);
        waitedMs += performance.now() - waitFrom;
        x = tf.tensor(batch.input, [labIdx.length + (unlIdx?.length ?? 0), ...req.labeled.set.shape]);
        provided = batch.unlabeledProbabilities;
      } else {
        const labSet = req.labeled.set as InputSet;
        const parts = [{ set: labSet, indices: labIdx, noise: req.noise }];
        if (unlIdx)
          parts.push({ set: req.unlabeled!.set as InputSet, indices: unlIdx, noise: req.unlabeledNoise ?? req.noise });
        x = makeBatch(parts, req.stats, noiseRng);
        clean =
          unlIdx && req.unlabeled?.teacher
            ? makeBatch([{ set: req.unlabeled.set as InputSet, indices: unlIdx, noise: {} }], req.stats, noiseRng)
            : null;
      }
      const labels = tf.tensor1d(
        Int32Array.from(labIdx, (i) => req.labeled.labels[i]),
        'int32',
      );
      const targets = unlIdx ? unlabeledTargets(req, unlIdx, clean, provided) : null;
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor2D; // [b + u, C]
        return noisyStudentLoss(logits, labels, targets, {
          classes: req.classes,
          labelSmoothing: train.labelSmoothing,
          unlabelRatio: train.unlabelRatio,
          shares,
        });
      }, trainable);
      const localLoss = (await value.data())[0];
      const last = step === steps - 1;
      const due =
        ckpt !== null &&
        !last &&
        (((ckpt.everySteps ?? 0) > 0 && (step + 1) % ckpt.everySteps! === 0) ||
          (rank === 0 &&
            (ckpt.everyMinutes ?? 0) > 0 &&
            performance.now() - lastCheckpoint >= ckpt.everyMinutes! * 60_000));
      let applied = grads,
        loss = localLoss,
        checkpointNow = due,
        stopNow = false;
      if (collective && size > 1) {
        const r = await reduceStep(collective, trainable, grads, bnStats, localLoss, {
          checkpoint: due,
          stop: stopWanted,
        });
        applied = r.grads;
        loss = r.loss;
        checkpointNow = r.checkpoint && !last;
        stopNow = r.stop;
      }
      optimizer.apply(applied, lr);
      ema.update();
      tf.dispose([value, x, labels, ...(clean ? [clean] : []), ...Object.values(grads)]);
      if (batch) provider!.release?.(batch); // backends that kept a view of it (tfjs 'cpu') are done with it
      if (applied !== grads) tf.dispose(Object.values(applied));
      if (targets) tf.dispose(targets.kind === 'soft' ? targets.probabilities : targets.labels);
      if (!Number.isFinite(loss))
        throw new Error(`training diverged at step ${step}: loss is ${loss}; lower train.learningRate`);
      epochLoss += loss;
      epochSteps++;
      done++;
      if (checkpointNow) {
        const tensors = {
          weights: model.weights.map((w) => w.read()),
          shadows: ema.shadows,
          slots: optimizer.state().slots,
        };
        if (collective && size > 1)
          await checkReplicasAgree(collective, [...tensors.weights, ...tensors.shadows], step + 1);
        if (rank === 0)
          await saveTrainState(
            ckpt!,
            {
              step: step + 1,
              optimizerStep: optimizer.state().step,
              emaUpdates: ema.numUpdates,
              labeledOrder: states[0],
              unlabeledOrder: states[1],
              replicas: size,
            },
            tensors,
          );
        lastCheckpoint = performance.now();
        ckpt!.onCheckpoint?.(step + 1);
      }
      const now = performance.now();
      const epochDone = (step + 1) % stepsPerEpoch === 0 || last;
      if (req.onProgress && (now - lastReport > 500 || epochDone)) {
        lastReport = now;
        req.onProgress({
          step: step + 1,
          steps,
          epoch: Math.floor(step / stepsPerEpoch) + 1,
          epochs: Math.ceil(steps / stepsPerEpoch),
          loss,
          lr,
          imagesPerSecond: (done * (B + U) * 1000) / (now - started),
          inputWaitSeconds: waitedMs / 1000,
          inputWaitFraction: waitedMs / (now - started),
        });
      }
      if (epochDone) {
        const rec = {
          epoch: Math.ceil((step + 1) / stepsPerEpoch),
          loss: epochLoss / epochSteps,
          lr,
          seconds: (now - epochStart) / 1000,
          inputWaitSeconds: (waitedMs - epochWaitedMs) / 1000,
        };
        epochs.push(rec);
        req.onEpoch?.(rec);
        epochLoss = 0;
        epochSteps = 0;
        epochStart = now;
        epochWaitedMs = waitedMs;
        await new Promise((r) => setImmediate(r)); // let progress, signals and the bus run
      }
      if (stopNow) break;
    }
    if (collective && size > 1)
      await checkReplicasAgree(collective, [...model.weights.map((w) => w.read()), ...ema.shadows], start + done);
    model.setWeights(ema.values());
    return {
      steps: done,
      resumedFrom: start,
      epochs,
      seconds: (performance.now() - started) / 1000,
      examplesSeen: done * (B + U),
      inputWaitSeconds: waitedMs / 1000,
    };
  } finally {
    optimizer.dispose();
    ema.dispose();
  }
}
