import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, compileExperiment, type DataSource } from '@noisy/core';
import { checkDataRoots } from './roots.js';

const table = (train: string): DataSource =>
  compileExperiment({
    name: 't',
    data: { source: { kind: 'table', train } },
    teacher: { model: { name: 'mlp' } },
    students: [{ model: { name: 'mlp' } }],
  }).data.source;

describe('data roots', () => {
  it('checkDataRoots - a file under a root passes, relative paths resolve against cwd', async () => {
    const root = await mkdtemp(join(tmpdir(), 'roots-'));
    await writeFile(join(root, 'rows.csv'), 'a,label\n1,x\n');
    await expect(checkDataRoots(table(join(root, 'rows.csv')), [root])).resolves.toBeUndefined();
    await expect(checkDataRoots(table('rows.csv'), [root], { cwd: root })).resolves.toBeUndefined();
  });

  it('checkDataRoots - /proc/self/environ, ../ escapes and symlinks out of a root are refused naming the setting', async () => {
    const root = await mkdtemp(join(tmpdir(), 'roots-'));
    await mkdir(join(root, 'data'));
    await symlink('/proc/self/environ', join(root, 'data', 'env.csv'));
    for (const path of ['/proc/self/environ', join(root, 'data', '..', '..', 'x.csv'), join(root, 'data', 'env.csv')]) {
      const err = await checkDataRoots(table(path), [join(root, 'data')]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(/^NOISY_DATA_ROOTS: data\.source\.train is outside/);
    }
  });

  it('checkDataRoots - with no roots a file source is refused and a synthetic one passes', async () => {
    const err = await checkDataRoots(table('/tmp/x.csv'), []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('reads no files until NOISY_DATA_ROOTS');
    const synthetic = compileExperiment({
      name: 's',
      data: { source: { kind: 'synthetic' } },
      teacher: { model: { name: 'cnn-small' } },
      students: [{ model: { name: 'cnn-small' } }],
    }).data.source;
    await expect(checkDataRoots(synthetic, [])).resolves.toBeUndefined();
  });
});
