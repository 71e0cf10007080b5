// noisy run <experiment.yaml>: the whole Noisy Student loop on the embedded default.
import { writeFile } from 'node:fs/promises';
import { selectBackend } from '@noisy/ml';
import { openStore } from '../store.js';
import { runEmbedded, runIdFor } from '@noisy/pipeline';
import { runKeys } from '@noisy/contracts';
import { setupTelemetry } from '@noisy/platform/telemetry';
import { compileExperimentFrom } from '@noisy/core';
import { readExperimentFile } from '../experiment-file.js';
import { displayKey } from '../model-arg.js';
import { applyOverrides, describeOverrides, type Override } from '../overrides.js';
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

export async function runCommand(file: string, flags: RunFlags, io: CommandIo): Promise<number> {
  const overrides = flags.overrides ?? [];
  const experiment = compileExperimentFrom(applyOverrides(await readExperimentFile(file), overrides), file);
  const store = await openStore(flags.store);
  const backend = await selectBackend((flags.backend ?? experiment.backend) as 'auto');
  const runId = flags.runId ?? runIdFor(experiment);
  io.err(
    `noisy: backend ${backend.name} (${backend.provider}${backend.gpu ? ', GPU' : ''}${backend.kernels ? `, convolutions on ${backend.kernels}` : backend.kernelsSkipped ? `; oneDNN kernels not in use: ${backend.kernelsSkipped}` : ''}); run ${runId}; store ${store.url}\n`,
  );
  if (overrides.length) io.err(`noisy: overrides ${describeOverrides(overrides)}\n`);
  // Traces are off in the embedded default unless an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT).
  const telemetry = setupTelemetry('noisy-cli');
  const progress = createProgress(io.stderr);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const summary = await runEmbedded({
      store,
      experiment,
      runId,
      signal: controller.signal,
      onProgress: (p) => progress.progress(p),
      onRunEvent: (e) => progress.run(e),
      worker: { allowDownload: !flags.offline },
    });
    progress.done();
    const last = summary.generations.at(-1)!.generation;
    io.out(
      `\n${generationTable(summary.generations)}\n\nsummary: ${displayKey(store, runKeys.summary(summary.runId))}\nreport:  ${displayKey(store, runKeys.report(summary.runId))}\nmodel:   ${displayKey(store, runKeys.model(summary.runId, last))}\n`,
    );
    if (flags.summary) await writeFile(flags.summary, `${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } finally {
    progress.done();
    process.off('SIGINT', onSignal);
    await telemetry.shutdown();
  }
}
