// `npm install -g .` from a checkout gives a `noisy` that works in any folder (npm links the
// checkout, so its node_modules serve the command). Installed under a temporary prefix here.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('install', () => {
  it('npm install -g . - the noisy command answers in another folder', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'noisy-global-'));
    const install = spawnSync('npm', ['install', '-g', '.', '--prefix', prefix, '--no-audit', '--no-fund'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(install.status, install.stderr).toBe(0);
    const elsewhere = await mkdtemp(join(tmpdir(), 'noisy-user-'));
    const noisy = (...args: string[]) =>
      spawnSync(join(prefix, 'bin', 'noisy'), args, { cwd: elsewhere, encoding: 'utf8' });
    const version = noisy('--version');
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const runs = noisy('runs');
    expect(runs.status, runs.stderr).toBe(0);
    expect(runs.stdout).toContain(`no runs in file://${join(elsewhere, '.noisy')}`);
  }, 120_000);
});
