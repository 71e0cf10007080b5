// Read an experiment YAML (or JSON) file and compile it; errors name the file and field path.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, compileExperiment, type CompiledExperiment } from '@noisy/core';

/** Paths inside the experiment are relative to the file that names them. */
function resolvePaths(raw: any, base: string): void {
  const src = raw?.data?.source;
  if (!src || typeof src !== 'object') return;
  for (const k of ['dir', 'train', 'test', 'unlabeled', 'trainImages', 'trainLabels', 'testImages', 'testLabels']) {
    if (typeof src[k] === 'string' && !isAbsolute(src[k])) src[k] = resolve(base, src[k]);
  }
}

export async function loadExperimentFile(path: string): Promise<CompiledExperiment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(path, `cannot read experiment file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (cause) {
    throw new ConfigError(path, `not valid YAML: ${(cause as Error).message}`, { cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(path, 'an experiment file must be a mapping of settings');
  resolvePaths(raw, dirname(resolve(path)));
  try {
    return compileExperiment(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.path}`, err.message.slice(err.path.length + 2), { cause: err });
    throw err;
  }
}
