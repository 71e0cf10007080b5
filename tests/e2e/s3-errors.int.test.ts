// S3 failures of every operation are classified against a real server: a server that does not
// answer gives retryable errors (the worker retries the task), refused credentials permanent ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import { freePort, startS3Server } from '@noisy/testing';
import { S3ObjectStore, parseS3Url } from '../../libs/platform/src/object-store/s3.js';

let server: Awaited<ReturnType<typeof startS3Server>>;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const store = (endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new S3ObjectStore({
    ...parseS3Url(`s3://errors/noisy?endpoint=${endpoint}&pathStyle=true&checksums=when_required`, credentials),
    maxAttempts: 1,
  });

async function failures(s: S3ObjectStore): Promise<ArtifactError[]> {
  const ops = [
    () => s.put('runs/r/x.json', '{}'),
    () => s.get('runs/r/x.json'),
    () => s.list('runs/'),
    () => s.delete('runs/r/x.json'),
    () => s.head('runs/r/x.json'),
  ];
  const out: ArtifactError[] = [];
  for (const op of ops) {
    const err = await op().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, String(op)).toBeInstanceOf(ArtifactError);
    out.push(err as ArtifactError);
  }
  return out;
}

describe('s3 errors', () => {
  it('s3 errors - put, get, list, delete and head on a server that does not answer are retryable', async () => {
    const errors = await failures(store(`http://127.0.0.1:${await freePort()}`, server.credentials));
    expect(errors.map((e) => e.retryable)).toEqual([true, true, true, true, true]);
    expect(errors[0].message).toMatch(/^runs\/r\/x\.json: cannot write: /);
    expect(errors[2].message).toMatch(/^runs\/: cannot list: /);
  });

  it('s3 errors - refused credentials are permanent for every operation', async () => {
    await store(server.endpoint, server.credentials)
      .open()
      .catch(() => undefined);
    await new S3ObjectStore({
      ...parseS3Url(`s3://errors/noisy?endpoint=${server.endpoint}&pathStyle=true&create=true`, server.credentials),
    }).open();
    // An unknown key id (s3rver checks no signature on uploads, so a wrong secret alone would pass a put).
    const errors = await failures(store(server.endpoint, { accessKeyId: 'NOBODY', secretAccessKey: 'wrong-secret' }));
    expect(errors.map((e) => e.retryable)).toEqual([false, false, false, false, false]);
    expect(errors[0].message).toMatch(/cannot write: InvalidAccessKeyId \(HTTP 403\)/);
  });
});
