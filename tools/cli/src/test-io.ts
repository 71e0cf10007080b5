// A CommandIo that swallows output, for tests that check exit codes and files.
import type { CommandIo } from './commands/io.js';

export const quietIo = (): CommandIo => ({
  out: () => undefined,
  err: () => undefined,
  stderr: { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream,
});

/** A CommandIo that keeps everything written to out, err and the progress stream, in order. */
export function recordingIo(): CommandIo & { text: () => string } {
  let text = '';
  const add = (s: string) => {
    text += s;
  };
  return {
    out: add,
    err: add,
    stderr: { write: (s: string) => (add(s), true), isTTY: false } as unknown as NodeJS.WriteStream,
    text: () => text,
  };
}
