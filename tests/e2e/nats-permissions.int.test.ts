// The chart's bundled NATS configuration, run by a real nats-server: each service's user can do
// its own work (the controller queues tasks and reads events; inference consumes predict tasks
// and reports them done) and nothing else (inference cannot queue or take training tasks, read
// events or another service's reply inbox, or log in with a wrong password).
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Codec } from '@noisy/platform';
import { NatsEventBus } from '@noisy/platform/nats';
import { freePort, waitForPort } from '@noisy/testing';
import { helmTemplate } from '../../tools/deploy/src/index.js';

const ROLES = ['controller', 'ingestion', 'inference', 'filter', 'trainer', 'evaluator'];
const password = (role: string) => `pw-${role}-0123456789`;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function bundledNats(): Promise<string> {
  const rendered = await helmTemplate({ set: ['nats.bundled.enabled=true'] });
  const doc = rendered
    .split(/^---$/m)
    .map((d) => parse(d) as { kind?: string; metadata?: { name: string }; data?: Record<string, string> } | null)
    .find((d) => d?.kind === 'ConfigMap' && d.metadata?.name.endsWith('-nats-config'))!;
  const dir = await mkdtemp(join(tmpdir(), 'nats-perm-'));
  const port = await freePort();
  const conf = doc
    .data!['nats.conf'].replace('store_dir: /data', `store_dir: "${join(dir, 'js')}"`)
    .replace(/http_port: \d+/, '');
  await writeFile(join(dir, 'nats.conf'), conf);
  const env = Object.fromEntries(ROLES.map((r) => [`PW_${r.toUpperCase()}`, password(r)]));
  const child = spawn('nats-server', ['-c', join(dir, 'nats.conf'), '-a', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  });
  await waitForPort(port, 15_000, child);
  return `nats://127.0.0.1:${port}`;
}

/** Plain JSON: this test is about who may use which subject, not about message schemas. */
const json: Codec<unknown> = {
  type: 'json',
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(new TextDecoder().decode(b)) as unknown,
};

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('nats permissions', () => {
  it('nats permissions - each service user does its own work and is refused the rest', async () => {
    const url = await bundledNats();
    const bus = async (role: string) => {
      const b = await NatsEventBus.connect({
        servers: url,
        user: `noisy-${role}`,
        password: password(role),
        inboxPrefix: `_INBOX_noisy-${role}`,
        ackWaitMs: 5000,
      });
      cleanups.push(() => b.close());
      return b;
    };
    const controller = await bus('controller');
    const inference = await bus('inference');
    const events: string[] = [];
    controller.subscribeEvents('noisy.events.', json, (subject) => events.push(subject));

    // Allowed: the controller queues a predict task, inference takes it and reports it done.
    await controller.publishTask('noisy.tasks.predict', json, { taskId: 't1' }, 't1');
    const got = new Promise<unknown>((resolve) => {
      inference.consumeTasks('noisy.tasks.predict', 'noisy-predict', json, async (d) => {
        d.ack();
        resolve(d.data);
      });
    });
    expect(await within(got, 10_000)).toEqual({ taskId: 't1' });
    await inference.publishEvent('noisy.events.task.done', json, { taskId: 't1' });
    await expect.poll(() => events, { timeout: 5000 }).toContain('noisy.events.task.done');

    // Refused: inference queueing a training task, reading events, posing as the controller.
    const raw = await connect({
      servers: url.replace('nats://', ''),
      user: 'noisy-inference',
      pass: password('inference'),
    });
    cleanups.push(() => raw.close());
    const errors: string[] = [];
    raw.subscribe('noisy.events.>', {
      callback: (err) => {
        if (err) errors.push(err.message);
      },
    });
    raw.publish('noisy.tasks.train', JSON.stringify({ taskId: 'forged' })); // a well-formed task: only permissions stop it
    raw.publish('noisy.events.run', JSON.stringify({ runId: 'r', state: 'failed' }));
    await raw.flush();
    await expect.poll(() => errors.join(' '), { timeout: 5000 }).toMatch(/permissions violation/i);
    const snooped: string[] = []; // another service's replies (its pulled tasks, its acks)
    raw.subscribe('_INBOX_noisy-trainer.>', {
      callback: (err) => {
        if (err) snooped.push(err.message);
      },
    });
    await expect.poll(() => snooped.join(' '), { timeout: 5000 }).toMatch(/permissions violation/i);
    const trainer = await bus('trainer');
    const trained: string[] = [];
    trainer.consumeTasks('noisy.tasks.train', 'noisy-train', json, async (d) => {
      trained.push((d.data as { taskId: string }).taskId);
      d.ack();
    });
    expect(events).not.toContain('noisy.events.run');
    // The trainer does get real tasks; a forbidden publish, had the server taken it, would be in
    // the stream before this one and so delivered first: no sleep decides that nothing arrived.
    await controller.publishTask('noisy.tasks.train', json, { taskId: 't2' }, 't2');
    await expect.poll(() => trained.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(trained).toEqual(['t2']);
    await expect(
      connect({ servers: url.replace('nats://', ''), user: 'noisy-controller', pass: password('inference') }),
    ).rejects.toThrow(/authorization/i);
  }, 60_000);
});
