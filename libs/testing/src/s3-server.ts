// Start a real S3-compatible server (s3rver, from npm) on a free loopback port with a temporary
// directory, as a separate process (`node --openssl-legacy-provider`, which s3rver needs on Node 20).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, waitForPort, type RunningServer } from './nats-server.js';

/** `allowMismatchedSignatures`: accept any credentials (tests that put a marker in AWS_SECRET_ACCESS_KEY). */
export async function startS3Server(o: { allowMismatchedSignatures?: boolean } = {}): Promise<
  RunningServer & {
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    /** SIGSTOP / SIGCONT the server: it holds connections open and answers nothing meanwhile. */
    pause(): void;
    resume(): void;
  }
> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const bin = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      bin,
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--directory',
      dir,
      '--silent',
      ...(o.allowMismatchedSignatures ? ['--allow-mismatched-signatures'] : []),
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 15_000, child);
  return {
    url: `http://127.0.0.1:${port}`,
    endpoint: `http://127.0.0.1:${port}`,
    port,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGCONT'); // a paused server would not act on SIGTERM
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
