// Closed by default, against real nats-server, s3rver and service processes: a table source
// pointed at /proc/self/environ (delimiter \0, plain, or through a symlink planted in a data root)
// is refused, by the controller at StartRun and by the ingestion service on its own, and no
// secret of the services' environment appears in any StartRun/GetRun/WatchRun reply.
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@noisy/core';
import { ServiceProcess, startNatsServer, startS3Server } from '@noisy/testing';
import { connectController, rpc, watchRun, type Client } from '../../tools/cli/src/controller-client.js';

const MARKER = 'noisy-secret-marker-5f0c2a9e71';
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const table = (source: Record<string, unknown>) =>
  JSON.stringify({
    name: 'environ',
    seed: 1,
    data: { source: { kind: 'table', ...source }, labeledPerClass: 1, unlabeledShards: 1 },
    teacher: { model: { name: 'mlp' } },
    students: [{ model: { name: 'mlp' } }],
  });

/** Everything a client sees of a run: the StartRun error or reply, GetRun, every WatchRun message. */
async function attempt(client: Client, experiment: string): Promise<{ refused?: Error; state?: string; seen: string }> {
  const seen: string[] = [];
  let runId: string;
  try {
    const started = await rpc.startRun(client, { experiment, runId: '' });
    seen.push(JSON.stringify(started));
    runId = started.run!.runId;
  } catch (err) {
    return { refused: err as Error, seen: `${(err as Error).message} ${JSON.stringify(err)}` };
  }
  const state = await Promise.race([
    watchRun(
      client,
      runId,
      (e) => seen.push(JSON.stringify(e)),
      (p) => seen.push(JSON.stringify(p)),
    ),
    new Promise<string>((_, reject) =>
      setTimeout(() => reject(new Error(`run ${runId} did not end in 120 s`)), 120_000),
    ),
  ]);
  seen.push(JSON.stringify(await rpc.getRun(client, runId)));
  return { state, seen: seen.join('\n') };
}

describe('security', () => {
  it('security - /proc/self/environ as a table source is refused and no secret reaches a client', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const s3 = await startS3Server({ allowMismatchedSignatures: true });
    cleanups.push(() => s3.stop());
    const root = await mkdtemp(join(tmpdir(), 'data-root-'));
    await symlink('/proc/self/environ', join(root, 'linked.csv'));
    await writeFile(join(root, 'secrets.csv'), `x,label\n1,a\n2,AWS_SECRET_ACCESS_KEY=${MARKER}\n3,b\n`);
    const env = {
      NOISY_NATS_URL: nats.url,
      NOISY_STORE_URL: `s3://security/runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: MARKER,
      NOISY_ALLOW_CPU_FOR_GPU_ROLE: 'true',
    };
    const ingestion = await ServiceProcess.start('ingestion', { ...env, NOISY_DATA_ROOTS: root });
    cleanups.push(() => ingestion.kill('SIGTERM'));

    // A controller confined to the data root refuses at StartRun, naming the setting or the field.
    const strict = await ServiceProcess.start('controller', { ...env, NOISY_DATA_ROOTS: root });
    let client = connectController(`127.0.0.1:${strict.port}`, {});
    const nul = await attempt(client, table({ train: '/proc/self/environ', delimiter: '\0' }));
    expect(nul.refused).toBeInstanceOf(ConfigError);
    expect(nul.refused!.message).toMatch(/data\.source\.delimiter: must be one printable character or a tab/);
    for (const train of [
      '/proc/self/environ',
      join(root, 'linked.csv'),
      join(root, '..', '..', 'proc', 'self', 'environ'),
    ]) {
      const r = await attempt(client, table({ train }));
      expect(r.refused).toBeInstanceOf(ConfigError);
      expect(r.refused!.message).toMatch(/NOISY_DATA_ROOTS: data\.source\.train is outside the allowed data roots/);
      expect(r.seen).not.toContain(MARKER);
    }
    client.close();
    await strict.kill('SIGTERM');

    // A controller configured too widely: the ingestion service still refuses on its own, and a
    // file whose fields hold a secret fails without quoting it.
    const loose = await ServiceProcess.start('controller', { ...env, NOISY_DATA_ROOTS: `/proc:${root}` });
    cleanups.push(() => loose.kill('SIGTERM'));
    client = connectController(`127.0.0.1:${loose.port}`, {});
    const environ = await attempt(client, table({ train: '/proc/self/environ' }));
    expect(environ.state).toBe('failed');
    expect(environ.seen).toMatch(/NOISY_DATA_ROOTS: data\.source\.train is outside the allowed data roots/);
    const secrets = await attempt(client, table({ train: join(root, 'secrets.csv'), classNames: ['a', 'b'] }));
    expect(secrets.state).toBe('failed');
    expect(secrets.seen).toMatch(/label 'AWS_SECRET_ACCESS_KEY=\*\*\*' is not one of the classes/);
    for (const r of [nul, environ, secrets]) expect(r.seen).not.toContain(MARKER);
    client.close();
  }, 300_000);
});
