// Graceful shutdown of a service process on SIGTERM/SIGINT: run the handlers once, then exit.
export function onShutdown(
  handler: () => Promise<void>,
  log: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(JSON.stringify({ level: 'info', msg: `received ${signal}, shutting down` }));
    handler().then(
      () => process.exit(0),
      (err) => {
        log(JSON.stringify({ level: 'error', msg: String(err) }));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
