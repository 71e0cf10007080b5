// Read an experiment YAML (or JSON) file and compile it; errors name the file and field path.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, compileExperimentFrom, parseExperimentText, type CompiledExperiment } from '@noisy/core';

/** Paths inside the experiment are relative to the file that names them. */
function resolvePaths(raw: any, base: string): void {
  // teacher.checkpoint is a store key unless it reads as a path (./ or ../; docs/experiments.md).
  const ckpt = raw?.teacher?.checkpoint;
  if (typeof ckpt === 'string' && /^\.\.?\//.test(ckpt)) raw.teacher.checkpoint = resolve(base, ckpt);
  const src = raw?.data?.source;
  if (!src || typeof src !== 'object') return;
  for (const k of ['dir', 'train', 'test', 'unlabeled', 'trainImages', 'trainLabels', 'testImages', 'testLabels']) {
    // `store:<prefix>` names objects of the store, not a path.
    if (typeof src[k] === 'string' && !isAbsolute(src[k]) && !src[k].startsWith('store:'))
      src[k] = resolve(base, src[k]);
  }
}

export async function readExperimentFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      path,
      `cannot read experiment file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { cause },
    );
  }
  const raw = parseExperimentText(text, path);
  // A run's record (runs/<id>/experiment.json) holds the compiled experiment, not a file to run.
  if (raw && typeof raw === 'object' && 'runId' in raw && 'datasetId' in raw && 'experiment' in raw) {
    const yaml = join(dirname(path), 'experiment.yaml');
    throw new ConfigError(
      path,
      existsSync(yaml)
        ? `is a run's record, not an experiment file: run ${yaml} to run that experiment again`
        : "is a run's record (the compiled experiment), not an experiment file: run the experiment file the run was started from",
    );
  }
  resolvePaths(raw, dirname(resolve(path)));
  return raw;
}

export async function loadExperimentFile(path: string): Promise<CompiledExperiment> {
  return compileExperimentFrom(await readExperimentFile(path), path);
}
