// In-training checkpoints: everything a train step needs to continue exactly where it stopped.
//   <prefix>/step-00001200/state.bin      float32: model weights | EMA shadows | optimiser slots
//   <prefix>/step-00001200/manifest.json  step, counters, data-order state, layout, sha256 (last)
// The prefix does not depend on the attempt, so a retried or redelivered task finds the
// checkpoints of the attempts before it. A checkpoint without its manifest is unfinished and is
// ignored; older committed ones are deleted once a newer one is committed (the last two stay).
import * as tf from '@tensorflow/tfjs';
import { ArtifactError, sha256Hex } from '@noisy/core';
import type { ObjectStore } from '@noisy/platform';

export interface TrainCheckpointing {
  store: ObjectStore;
  /** Attempt-independent, e.g. `runs/<run>/gen-1/student-0/train-state`. */
  prefix: string;
  /** Checkpoint every this many steps (0: never by count). @default 0 */
  everySteps?: number;
  /** ...or when this many minutes passed since the last one (decided by rank 0). @default 0 */
  everyMinutes?: number;
  /** Must equal the checkpoint's to resume from it (e.g. a hash of the compiled train config). */
  fingerprint: string;
  /** Called on every rank after each checkpoint (rank 0 has written it). */
  onCheckpoint?: (step: number) => void;
}

export interface StreamState {
  pass: number;
  pos: number;
}

export interface TrainState {
  format: 'noisy-train-state/v1';
  fingerprint: string;
  /** Steps completed. */
  step: number;
  optimizerStep: number;
  emaUpdates: number;
  labeledOrder: StreamState;
  unlabeledOrder: StreamState | null;
  /** Elements per tensor in state.bin, in order: weights, shadows, slots. */
  layout: { weights: number[]; shadows: number[]; slots: number[] };
  sha256: string;
  replicas: number;
}

const stepDir = (prefix: string, step: number) => `${prefix}/step-${String(step).padStart(8, '0')}`;

/** Committed checkpoints under `prefix`, newest first. */
async function committedSteps(store: ObjectStore, prefix: string): Promise<number[]> {
  const keys = await store.list(`${prefix}/`);
  return keys
    .map((k) => /\/step-(\d{8})\/manifest\.json$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

export async function saveTrainState(
  c: TrainCheckpointing,
  state: Omit<TrainState, 'format' | 'layout' | 'sha256' | 'fingerprint'>,
  tensors: { weights: tf.Tensor[]; shadows: tf.Tensor[]; slots: tf.Tensor[] },
): Promise<void> {
  const all = [...tensors.weights, ...tensors.shadows, ...tensors.slots];
  const bin = new Float32Array(all.reduce((a, t) => a + t.size, 0));
  let at = 0;
  for (const t of all) {
    bin.set((await t.data()) as Float32Array, at);
    at += t.size;
  }
  const bytes = new Uint8Array(bin.buffer);
  const dir = stepDir(c.prefix, state.step);
  await c.store.put(`${dir}/state.bin`, bytes);
  const manifest: TrainState = {
    format: 'noisy-train-state/v1',
    fingerprint: c.fingerprint,
    ...state,
    layout: {
      weights: tensors.weights.map((t) => t.size),
      shadows: tensors.shadows.map((t) => t.size),
      slots: tensors.slots.map((t) => t.size),
    },
    sha256: sha256Hex(bytes),
  };
  await c.store.put(`${dir}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  for (const old of (await committedSteps(c.store, c.prefix)).slice(2)) {
    const d = stepDir(c.prefix, old);
    await c.store.delete(`${d}/manifest.json`); // uncommit first, then the data
    await c.store.delete(`${d}/state.bin`);
  }
}

export interface LoadedTrainState {
  state: TrainState;
  weights: Float32Array[];
  shadows: Float32Array[];
  slots: Float32Array[];
}

/** The newest committed checkpoint whose fingerprint matches, or null (start from step 0). */
export async function loadLatestTrainState(c: TrainCheckpointing): Promise<LoadedTrainState | null> {
  for (const step of await committedSteps(c.store, c.prefix)) {
    const dir = stepDir(c.prefix, step);
    const state = JSON.parse(new TextDecoder().decode(await c.store.get(`${dir}/manifest.json`))) as TrainState;
    if (state.fingerprint !== c.fingerprint) continue; // another configuration's state: never resume from it
    const bytes = await c.store.get(`${dir}/state.bin`);
    if (sha256Hex(bytes) !== state.sha256)
      throw new ArtifactError(`${dir}/state.bin`, 'sha256 does not match manifest.json: the checkpoint is corrupt', {
        retryable: false,
      });
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let at = 0;
    const take = (sizes: number[]) =>
      sizes.map((n) => {
        const v = floats.subarray(at, at + n);
        at += n;
        return v;
      });
    return {
      state,
      weights: take(state.layout.weights),
      shadows: take(state.layout.shadows),
      slots: take(state.layout.slots),
    };
  }
  return null;
}

/** Assign checkpointed values to variables of matching sizes (the model is built from the same config). */
export function assignAll(vars: Array<tf.Variable | tf.LayerVariable>, values: Float32Array[], what: string): void {
  if (vars.length !== values.length)
    throw new ArtifactError(what, `checkpoint holds ${values.length} tensors, the model ${vars.length}`);
  tf.tidy(() =>
    vars.forEach((v, i) => {
      if (v.shape.reduce((a: number, b) => a * (b as number), 1) !== values[i].length)
        throw new ArtifactError(what, `tensor ${i} (${v.name}) has another size in the checkpoint`);
      const t = tf.tensor(values[i], v.shape as number[], 'float32');
      if ('assign' in v) v.assign(t);
      else v.write(t);
    }),
  );
}
