// noisy run EXP --print-config: the experiment as it will run, every default filled in (the
// compiled form stored with each run), as YAML; nothing is run and tfjs is not loaded.
import { compileExperimentFrom } from '@noisy/core';
import { stringify } from 'yaml';
import type { CommandIo } from './io.js';
import { readExperimentFile } from '../experiment-file.js';
import { applyOverrides, type Override } from '../overrides.js';

export async function printConfig(file: string, overrides: Override[], io: CommandIo): Promise<number> {
  const experiment = compileExperimentFrom(applyOverrides(await readExperimentFile(file), overrides), file);
  io.out(stringify(experiment));
  return 0;
}
