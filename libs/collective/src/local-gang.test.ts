// The launcher/rank environment contract and the local launcher's handling of a failed rank.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glooOptionsFromEnv, launchLocalRanks, openCollective } from './local-gang.js';

const root = mkdtempSync(join(tmpdir(), 'gang-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('local gang', () => {
  it('local gang - rank options come from the environment, Indexed Job index included', async () => {
    expect(glooOptionsFromEnv({})).toBeNull();
    expect(glooOptionsFromEnv({ NOISY_WORLD_SIZE: '1' })).toBeNull();
    expect((await openCollective({})).size).toBe(1);
    expect(
      glooOptionsFromEnv({
        NOISY_WORLD_SIZE: '4',
        JOB_COMPLETION_INDEX: '2',
        NOISY_RENDEZVOUS: 'tcp://train-0.train-ranks:29500',
        NOISY_RENDEZVOUS_ID: 'run-1-gen-1-attempt-2',
        NOISY_RANK_ADDRESS: '10.0.0.7',
        NOISY_COLLECTIVE_TIMEOUT_MS: '30000',
      }),
    ).toEqual({
      rank: 2,
      size: 4,
      rendezvous: { kind: 'tcp', host: 'train-0.train-ranks', port: 29500 },
      id: 'run-1-gen-1-attempt-2',
      hostname: '10.0.0.7',
      timeoutMs: 30000,
      joinTimeoutMs: undefined,
    });
    expect(
      glooOptionsFromEnv({ NOISY_WORLD_SIZE: '2', NOISY_RANK: '0', NOISY_RENDEZVOUS: 'file:/tmp/r' }),
    ).toMatchObject({
      rendezvous: { kind: 'file', dir: '/tmp/r' },
    });
    expect(() => glooOptionsFromEnv({ NOISY_WORLD_SIZE: '2', NOISY_RANK: '0', NOISY_RENDEZVOUS: 'redis://x' })).toThrow(
      /NOISY_RENDEZVOUS/,
    );
  });

  it('local gang - a rank that fails takes the others down after the grace period', async () => {
    const lines: string[] = [];
    const exits = await launchLocalRanks({
      size: 2,
      args: [
        '-e',
        'console.log(process.env.NOISY_RANK, process.env.NOISY_WORLD_SIZE); if (process.env.NOISY_RANK === "1") process.exit(4); setInterval(() => {}, 1000)',
      ],
      env: { PATH: process.env.PATH },
      rendezvousRoot: root,
      id: 'attempt/1',
      graceMs: 300,
      onLine: (rank, line) => lines.push(`${rank}:${line}`),
    });
    expect(exits.map((e) => [e.code, e.signal])).toEqual([
      [null, 'SIGKILL'],
      [4, null],
    ]);
    expect(lines.sort()).toEqual(['0:0 2', '1:1 2']);
    expect(existsSync(join(root, 'attempt_1'))).toBe(false);
  });
});
