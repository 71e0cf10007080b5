// Where a command writes: injectable so that tests capture output.
export interface CommandIo {
  out(s: string): void;
  err(s: string): void;
  stderr: NodeJS.WriteStream;
}

export const processIo: CommandIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stderr: process.stderr,
};
