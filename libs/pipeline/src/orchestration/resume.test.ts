import { beforeAll, describe, expect, it } from 'vitest';
import { RunFailedError } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { selectBackend } from '@noisy/ml';
import { MemoryObjectStore, type ObjectStore } from '@noisy/platform';
import { tinyExperiment } from '@noisy/testing';
import { runEmbedded } from './embedded.js';
import { STAGES, type StageFn } from '../stages/registry.js';
import type { RunSummary } from '../report/summary.js';
import { readManifest } from '../stages/manifests.js';

/**
 * Every manifest of a store, without wall times and attempt ids (part keys name the attempt that
 * wrote them: the only fields that differ between reruns).
 */
async function manifests(store: ObjectStore): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of await store.list('')) {
    if (!key.endsWith('manifest.json')) continue;
    const text = new TextDecoder().decode(await store.get(key)).replace(/attempt-[0-9a-f]{8}/g, 'attempt-*');
    const { timing: _timing, ...rest } = JSON.parse(text);
    out[key] = rest;
  }
  return out;
}

/** Stage functions that record the task ids they run. */
function counting(calls: string[]): Partial<Record<string, StageFn>> {
  return Object.fromEntries(
    Object.entries(STAGES).map(([step, fn]) => [
      step,
      (async (ctx, task, models) => {
        calls.push(task.taskId);
        return fn(ctx, task, models);
      }) as StageFn,
    ]),
  );
}

describe('resume', () => {
  const experiment = tinyExperiment({
    students: [{ model: { name: 'cnn-small', width: 0.5 }, train: { unlabelRatio: 2, epochs: 6 } }],
  });
  const clean = new MemoryObjectStore();
  let reference: RunSummary;
  beforeAll(async () => {
    await selectBackend('wasm');
    reference = await runEmbedded({ store: clean, experiment });
  }, 120_000);

  it('resume - a run killed between shards resumes to the same manifests, each shard counted once', async () => {
    // Crash the worker on the third prediction shard of generation 1, after two shards committed.
    const store = new MemoryObjectStore();
    let predicted = 0;
    const crashing: StageFn = async (ctx, task, models) => {
      if (task.generation === 1 && ++predicted === 3) throw new Error('simulated crash (SIGKILL) during shard 2');
      return STAGES.predict(ctx, task, models);
    };
    await expect(runEmbedded({ store, experiment, worker: { stages: { predict: crashing } } })).rejects.toThrow(
      RunFailedError,
    );
    const runId = reference.runId;
    const partial = await store.list(`runs/${runId}/gen-1/predictions/`);
    expect(partial.filter((k) => k.endsWith('.manifest.json'))).toHaveLength(2);
    expect(await store.head(`runs/${runId}/gen-1/model/manifest.json`)).toBeNull(); // nothing downstream looks finished

    // The same command again: only the missing work runs.
    const calls: string[] = [];
    const resumed = await runEmbedded({ store, experiment, worker: { stages: counting(calls) } });
    expect(calls.filter((c) => c.includes(':predict:'))).toEqual([`${runId}:1:predict:2`]);
    expect(calls.some((c) => c.includes(':ingest:') || c.includes(':0:train:'))).toBe(false);
    expect(await manifests(store)).toEqual(await manifests(clean));
    expect(resumed.generations.map((g) => g.top1)).toEqual(reference.generations.map((g) => g.top1));
    const kept = (await store.list(`runs/${runId}/gen-1/filter/data/`)).filter((k) => k.endsWith('.tfrecord'));
    expect(kept).toHaveLength(3);
  });

  it('resume - a committed step whose data fails its checksum is redone on the next run, nothing else', async () => {
    const store = new MemoryObjectStore();
    for (const key of await clean.list('')) await store.put(key, await clean.get(key));
    const runId = reference.runId;
    // Damage one prediction shard of generation 1 (same size, one byte flipped) under its committed manifest.
    const manifestKey = runKeys.predictionsManifest(runId, 1, 1, 3);
    const damaged = (await readManifest(store, manifestKey)).parts[0].key;
    const bytes = Uint8Array.from(await store.get(damaged));
    bytes[bytes.length - 5] ^= 0xff;
    await store.put(damaged, bytes);

    const calls: string[] = [];
    const rerun = await runEmbedded({ store, experiment, worker: { stages: counting(calls) } });
    expect(calls).toEqual([`${runId}:1:predict:1`]);
    const redone = (await readManifest(store, manifestKey)).parts[0].key;
    expect(await store.get(redone)).toEqual(await clean.get(damaged));
    expect(await manifests(store)).toEqual(await manifests(clean));
    expect(rerun.generations.map((g) => g.top1)).toEqual(reference.generations.map((g) => g.top1));
  });
});
