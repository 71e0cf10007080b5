// noisy run <experiment.yaml>: the whole Noisy Student loop on the embedded default.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { selectBackend } from '@noisy/ml';
import { openStore } from '../store.js';
import {
  checkpointPrefix,
  localGang,
  runEmbedded,
  runIdFor,
  type GangLauncher,
  type RunSummary,
} from '@noisy/pipeline';
import { runKeys } from '@noisy/contracts';
import { setupTelemetry } from '@noisy/platform/telemetry';
import { compileExperimentFrom, type CompiledExperiment } from '@noisy/core';
import type { ObjectStore } from '@noisy/platform';
import { readExperimentFile } from '../experiment-file.js';
import { displayKey } from '../model-arg.js';
import { applyOverrides, describeOverrides, type Override } from '../overrides.js';
import { liveTensorBoard } from '../live-tensorboard.js';
import { createProgress } from '../progress.js';
import { generationTable } from '../table.js';
import type { CommandIo } from './io.js';

export interface RunFlags {
  store: string;
  summary?: string;
  runId?: string;
  backend?: string;
  offline?: boolean;
  /** `--set` overrides, applied before compiling; the compiled experiment stored with the run has them. */
  overrides?: Override[];
}

/** What every `noisy run` does first: compile the file with its overrides, open the store, pick the backend. */
export async function prepareRun(file: string, flags: RunFlags, io: CommandIo) {
  const overrides = flags.overrides ?? [];
  const raw = applyOverrides(await readExperimentFile(file), overrides);
  const experiment = compileExperimentFrom(raw, file);
  const store = await openStore(flags.store);
  const backend = await selectBackend((flags.backend ?? experiment.backend) as 'auto');
  const kernels = backend.kernels
    ? `, convolutions on ${backend.kernels}`
    : backend.kernelsSkipped
      ? `; oneDNN kernels not in use: ${backend.kernelsSkipped}`
      : '';
  io.err(
    `noisy: backend ${backend.name} (${backend.provider}${backend.gpu ? ', GPU' : ''}${kernels}); store ${store.url}\n`,
  );
  if (overrides.length) io.err(`noisy: overrides ${describeOverrides(overrides)}\n`);
  return { experiment, store, raw };
}

/**
 * A train step with `train.replicas` > 1 runs as that many local rank processes (libs/host's
 * rank-main.ts; resolved by path, so the CLI does not load the service host). The ranks select
 * the backend this run asked for.
 */
function localRanks(backend: string, storeUrl: string): GangLauncher {
  const src = dirname(createRequire(import.meta.url).resolve('@noisy/host'));
  return localGang({
    entry: resolve(src, 'rank-main.ts'),
    cwd: resolve(src, '..', '..', '..'),
    env: { ...process.env, NOISY_BACKEND: backend },
    storeUrl,
  });
}

/** The ranks start in the repository root: a relative --store path must not move with them. */
const absoluteStore = (url: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : resolve(url));

/**
 * Keep the experiment as given (overrides applied, paths absolute) beside the run, as a file
 * `noisy run` takes: running it again resumes the same run.
 */
async function saveExperimentFile(
  store: ObjectStore,
  runId: string,
  raw: Record<string, unknown>,
  customId: boolean,
): Promise<void> {
  const again = customId
    ? `noisy run this file --run-id ${runId} to run it again (it resumes)`
    : 'noisy run this file to run it again: the same run id, so it resumes';
  const text =
    `# The experiment of run ${runId}, as given (overrides applied, paths made absolute).\n` +
    `# ${again}.\n${stringify(raw)}`;
  await store.putIfAbsent(runKeys.experimentFile(runId), new TextEncoder().encode(text));
}

/** Ctrl-C stopped the run: not a failure; its committed steps stay and a rerun resumes. */
export class RunInterrupted extends Error {
  constructor(readonly runId: string) {
    super(`interrupted: run ${runId} stopped; its committed steps are kept: run the same command again to resume`);
  }
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const INTERRUPTED_EXIT = 130;

/** Say, before a run starts, whether it resumes one the store has begun (and how far it got). */
export async function announceResume(store: ObjectStore, runId: string, io: CommandIo): Promise<void> {
  if (!(await store.head(runKeys.experiment(runId)))) return;
  if (await store.head(runKeys.summary(runId))) {
    io.err(`noisy: run ${runId} already finished in this store: checking its steps, nothing is recomputed\n`);
    return;
  }
  const committed = (await store.list(`runs/${runId}/`)).filter((k) => /manifest\.json$/.test(k)).length;
  io.err(`noisy: resuming run ${runId}: ${committed} committed step(s) are kept, the rest runs\n`);
}

/** Drive one compiled experiment on the embedded default with progress on stderr; SIGINT stops it (RunInterrupted). */
export async function runWithProgress(
  store: ObjectStore,
  experiment: CompiledExperiment,
  runId: string,
  flags: RunFlags,
  io: CommandIo,
): Promise<RunSummary> {
  const progress = createProgress(io.stderr);
  const live = liveTensorBoard(store, runId, (err) =>
    io.err(`noisy: live TensorBoard curves not written: ${err instanceof Error ? err.message : String(err)}\n`),
  );
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const summary = await runEmbedded({
      store,
      experiment,
      runId,
      signal: controller.signal,
      onProgress: (p) => {
        progress.progress(p);
        live.progress(p);
      },
      onRunEvent: (e) => {
        live.run(e);
        // Once interrupted, the run's own "failed: cancelled" is not news: RunInterrupted says it.
        if (!controller.signal.aborted) progress.run(e);
      },
      worker: {
        allowDownload: !flags.offline,
        gang: localRanks(flags.backend ?? experiment.backend, absoluteStore(flags.store)),
      },
    });
    progress.done();
    return summary;
  } catch (err) {
    if (controller.signal.aborted) throw new RunInterrupted(runId);
    throw err;
  } finally {
    progress.done();
    process.off('SIGINT', onSignal);
    await live.settle();
  }
}

export async function runCommand(file: string, flags: RunFlags, io: CommandIo): Promise<number> {
  const { experiment, store, raw } = await prepareRun(file, flags, io);
  const runId = flags.runId ?? runIdFor(experiment);
  io.err(`noisy: run ${runId}\n`);
  await announceResume(store, runId, io);
  await saveExperimentFile(store, runId, raw, flags.runId !== undefined);
  // Traces are off in the embedded default unless an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT).
  const telemetry = setupTelemetry('noisy-cli');
  try {
    const summary = await runWithProgress(store, experiment, runId, flags, io);
    // The model to use: the generation chosen on dev; the last one when the data has no dev split.
    const last = summary.generations.at(-1)!.generation;
    const chosen = summary.best ?? last;
    const model = await checkpointPrefix(store, summary.runId, chosen);
    const why =
      summary.best === null || summary.best === undefined
        ? 'the last generation (no dev split to choose on)'
        : `generation ${chosen}, best dev top-1`;
    io.out(
      `\n${generationTable(summary.generations)}\n\n` +
        `summary: ${displayKey(store, runKeys.summary(summary.runId))}\n` +
        `report:  ${displayKey(store, runKeys.report(summary.runId))}\n` +
        `model:   ${displayKey(store, model)}  (${why})\n`,
    );
    if (flags.summary) await writeFile(flags.summary, `${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof RunInterrupted)) throw err;
    io.err(`\nnoisy: ${err.message}\n`);
    return INTERRUPTED_EXIT;
  } finally {
    await telemetry.shutdown();
  }
}
