// A CommandIo that swallows output, for tests that check exit codes and files.
import type { CommandIo } from './commands/io.js';

export const quietIo = (): CommandIo => ({
  out: () => undefined,
  err: () => undefined,
  stderr: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream,
});
