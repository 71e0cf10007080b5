// Map errors to a message and an exit code: 2 for bad input (config, data, missing artifacts), 1 otherwise.
import { ConfigError, NoisyError, RunFailedError, isInputError } from '@noisy/core';

export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (isInputError(err) || (err instanceof RunFailedError && err.badInput)) {
    write(`noisy: ${err.message}\n`);
    return 2;
  }
  if (err instanceof NoisyError) {
    write(`noisy: ${err.message}\n`);
    return 1;
  }
  write(`noisy: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/** A usage error (unknown flag, missing argument). */
export class UsageError extends ConfigError {}
