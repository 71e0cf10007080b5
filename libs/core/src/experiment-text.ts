// Parse and compile an experiment from its text (YAML or JSON), naming the source in errors.
import { parse } from 'yaml';
import { ConfigError } from './errors.js';
import { compileExperiment, type CompiledExperiment } from './experiment.js';

/** Parse YAML/JSON text into a raw experiment object; `source` names the file or request. */
export function parseExperimentText(text: string, source: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (cause) {
    throw new ConfigError(source, `not valid YAML: ${(cause as Error).message}`, { cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(source, 'an experiment must be a mapping of settings');
  return raw as Record<string, unknown>;
}

/** Compile a raw experiment, prefixing errors with the source. */
export function compileExperimentFrom(raw: unknown, source: string): CompiledExperiment {
  try {
    return compileExperiment(raw);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ConfigError(`${source}: ${err.path}`, err.message.slice(err.path.length + 2), { cause: err });
    throw err;
  }
}
