// The training loop of teacher and student: labeled batch B and unlabeled batch ceil(B * ratio)
// concatenated into one forward pass (shared batch-norm statistics), the Noisy Student loss,
// TF-style RMSProp with weight decay, the original's LR schedule, EMA after every step. At the
// end the model holds the EMA weights, which evaluation, prediction and checkpoints use.
import * as tf from '@tensorflow/tfjs';
import type { PseudoLabelSpec, Rng, TrainSpec } from '@noisy/core';
import { makeBatch, type InputNoise, type InputSet, type InputStats } from '../input.js';
import { isDecayed } from '../models/registry.js';
import { Ema } from './ema.js';
import { noisyStudentLoss, type UnlabeledTargets } from './loss.js';
import { Optimizer } from './optimizer.js';
import { learningRateAt } from './schedule.js';

export interface LabeledPart {
  set: InputSet;
  labels: Int32Array;
}
export interface UnlabeledPart {
  set: InputSet;
  /** Stored teacher probabilities [count * classes] (offline mode)... */
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
}
export interface EpochRecord {
  epoch: number;
  loss: number;
  lr: number;
  seconds: number;
}

export interface TrainRequest {
  model: tf.LayersModel;
  labeled: LabeledPart;
  unlabeled: UnlabeledPart | null;
  classes: number;
  stats: InputStats;
  train: TrainSpec & { unlabelRatio: number };
  pseudoLabels: PseudoLabelSpec;
  /** Training noise per example (RandAugment / tabular noise). */
  noise: InputNoise;
  /** Noise for the unlabeled (pseudo-labeled) part of the batch; default `noise`. */
  unlabeledNoise?: InputNoise;
  rng: Rng;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (e: EpochRecord) => void;
  /** Return true to stop early (cancellation); checked between steps. */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  steps: number;
  epochs: EpochRecord[];
  seconds: number;
  examplesSeen: number;
}

/** Cycles through a seeded permutation of [0, n), reshuffling at each pass. */
class IndexStream {
  private order: Int32Array;
  private pos = 0;
  constructor(
    private readonly n: number,
    private readonly rng: Rng,
  ) {
    this.order = this.shuffled();
  }
  private shuffled(): Int32Array {
    const o = Int32Array.from({ length: this.n }, (_, i) => i);
    for (let i = o.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
    return o;
  }
  take(k: number): Int32Array {
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      if (this.pos === this.n) {
        this.order = this.shuffled();
        this.pos = 0;
      }
      out[i] = this.order[this.pos++];
    }
    return out;
  }
}

function unlabeledTargets(req: TrainRequest, indices: Int32Array, clean: tf.Tensor | null): UnlabeledTargets {
  const C = req.classes;
  return tf.tidy(() => {
    let probs: tf.Tensor2D;
    if (req.unlabeled?.teacher && clean) {
      // Online teacher: clean inputs, inference mode; soft targets at temperature T are softmax(logits / T).
      const logits = req.unlabeled.teacher.apply(clean, { training: false }) as tf.Tensor2D;
      const T = req.pseudoLabels.kind === 'soft' ? req.pseudoLabels.temperature : 1;
      probs = tf.softmax(tf.div(logits, T)) as tf.Tensor2D;
      if (req.pseudoLabels.kind === 'soft') return { kind: 'soft', probabilities: probs, temperature: 1 };
    } else {
      const src = req.unlabeled!.probabilities!;
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

export async function trainModel(req: TrainRequest): Promise<TrainResult> {
  const { model, train } = req;
  const B = train.batchSize;
  const nLab = req.labeled.set.count;
  const stepsPerEpoch = Math.max(1, Math.ceil(nLab / B));
  const steps = train.steps ?? Math.max(1, Math.ceil(train.epochs * stepsPerEpoch));
  const useUnlabeled = req.unlabeled !== null && train.unlabelRatio > 0 && req.unlabeled.set.count > 0;
  const U = useUnlabeled ? Math.ceil(B * train.unlabelRatio) : 0;
  const labStream = new IndexStream(nLab, req.rng.fork('labeled-order'));
  const unlStream = useUnlabeled ? new IndexStream(req.unlabeled!.set.count, req.rng.fork('unlabeled-order')) : null;
  const noiseRng = req.rng.fork('noise');
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new Optimizer(trainable, {
    kind: train.optimizer,
    weightDecay: train.weightDecay,
    decayed: isDecayed,
  });
  const ema = new Ema(model.weights, train.emaDecay);
  const schedule = { ...train, stepsPerEpoch, totalSteps: steps };
  const epochs: EpochRecord[] = [];
  const started = performance.now();
  let epochLoss = 0,
    epochSteps = 0,
    epochStart = started,
    lastReport = started,
    done = 0;
  try {
    for (let step = 0; step < steps; step++) {
      if (req.shouldStop?.()) break;
      const lr = learningRateAt(step, schedule);
      const labIdx = labStream.take(B);
      const unlIdx = unlStream ? unlStream.take(U) : null;
      const parts = [{ set: req.labeled.set, indices: labIdx, noise: req.noise }];
      if (unlIdx) parts.push({ set: req.unlabeled!.set, indices: unlIdx, noise: req.unlabeledNoise ?? req.noise });
      const x = makeBatch(parts, req.stats, noiseRng); // [B + U, ...shape]
      const clean =
        unlIdx && req.unlabeled?.teacher
          ? makeBatch([{ set: req.unlabeled.set, indices: unlIdx, noise: {} }], req.stats, noiseRng)
          : null;
      const labels = tf.tensor1d(
        Int32Array.from(labIdx, (i) => req.labeled.labels[i]),
        'int32',
      );
      const targets = unlIdx ? unlabeledTargets(req, unlIdx, clean) : null;
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor2D; // [B + U, C]
        return noisyStudentLoss(logits, labels, targets, {
          classes: req.classes,
          labelSmoothing: train.labelSmoothing,
          unlabelRatio: train.unlabelRatio,
        });
      }, trainable);
      optimizer.apply(grads, lr);
      ema.update();
      const loss = (await value.data())[0];
      tf.dispose([value, x, labels, ...(clean ? [clean] : []), ...Object.values(grads)]);
      if (targets) tf.dispose(targets.kind === 'soft' ? targets.probabilities : targets.labels);
      if (!Number.isFinite(loss))
        throw new Error(`training diverged at step ${step}: loss is ${loss}; lower train.learningRate`);
      epochLoss += loss;
      epochSteps++;
      done++;
      const now = performance.now();
      const epochDone = (step + 1) % stepsPerEpoch === 0 || step === steps - 1;
      if (req.onProgress && (now - lastReport > 500 || epochDone)) {
        lastReport = now;
        req.onProgress({
          step: step + 1,
          steps,
          epoch: Math.floor(step / stepsPerEpoch) + 1,
          epochs: Math.ceil(steps / stepsPerEpoch),
          loss,
          lr,
          imagesPerSecond: ((step + 1) * (B + U) * 1000) / (now - started),
        });
      }
      if (epochDone) {
        const rec = {
          epoch: Math.ceil((step + 1) / stepsPerEpoch),
          loss: epochLoss / epochSteps,
          lr,
          seconds: (now - epochStart) / 1000,
        };
        epochs.push(rec);
        req.onEpoch?.(rec);
        epochLoss = 0;
        epochSteps = 0;
        epochStart = now;
        await new Promise((r) => setImmediate(r)); // let progress, signals and the bus run
      }
    }
    model.setWeights(ema.values());
    return { steps: done, epochs, seconds: (performance.now() - started) / 1000, examplesSeen: done * (B + U) };
  } finally {
    optimizer.dispose();
    ema.dispose();
  }
}
