// Named errors shared by every lib. Each says whether a retry can help, so that only the edge
// (CLI exit codes, gRPC status, JetStream nak/term) decides what to do with it.

/** Base class: `retryable` tells a worker whether to retry (nak) or give up (term). */
export class NoisyError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, { cause: options?.cause });
    this.name = new.target.name;
    this.retryable = options?.retryable ?? false;
  }
}

/** A configuration value is invalid; `path` is the dotted field path, e.g. `students.0.model.name`. */
export class ConfigError extends NoisyError {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${path}: ${message}` : message, options);
  }
}

/** Input data is malformed; `file` and optional `record` locate it. */
export class DataError extends NoisyError {
  constructor(
    readonly file: string,
    message: string,
    readonly record?: number,
    options?: { cause?: unknown },
  ) {
    super(`${file}${record === undefined ? '' : ` (record ${record})`}: ${message}`, options);
  }
}

/** A model name, shape or checkpoint does not fit what was asked. */
export class ModelError extends NoisyError {}

/** An object is missing or its content does not match its manifest. */
export class ArtifactError extends NoisyError {
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`${key}: ${message}`, options);
  }
}

/** The run was cancelled by the user or a poison task failed it; `badInput` when the task's error was about its input. */
export class RunFailedError extends NoisyError {
  constructor(
    message: string,
    readonly badInput = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Errors about what the user gave (config, data, artifacts, model names), as opposed to faults. */
export function isInputError(err: unknown): err is NoisyError {
  return (
    err instanceof ConfigError || err instanceof DataError || err instanceof ArtifactError || err instanceof ModelError
  );
}
