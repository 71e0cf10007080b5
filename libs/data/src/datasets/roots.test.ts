import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, compileExperiment, type DataSource } from '@noisy/core';
import { checkDataRoots, sourcePaths } from './roots.js';

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

  it('checkDataRoots - a sibling that shares the root as a prefix (/data-evil for /data) is outside', async () => {
    const base = await mkdtemp(join(tmpdir(), 'roots-'));
    await mkdir(join(base, 'data'));
    await mkdir(join(base, 'data-evil'));
    await writeFile(join(base, 'data-evil', 'rows.csv'), 'a,label\n1,x\n');
    const err = await checkDataRoots(table(join(base, 'data-evil', 'rows.csv')), [join(base, 'data')]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    // the root itself, given with or without a trailing slash, is inside
    const dir = (d: string): DataSource => ({ kind: 'tfrecord', dir: d, unlabeled: null }) as unknown as DataSource;
    await expect(checkDataRoots(dir(join(base, 'data')), [join(base, 'data')])).resolves.toBeUndefined();
    await expect(checkDataRoots(dir(join(base, 'data')), [join(base, 'data') + '/'])).resolves.toBeUndefined();
  });

  it('checkDataRoots - a file not written yet resolves through its parents; a path through a file is refused', async () => {
    const root = await mkdtemp(join(tmpdir(), 'roots-'));
    await writeFile(join(root, 'rows.csv'), 'a,label\n1,x\n');
    await expect(checkDataRoots(table(join(root, 'later', 'rows.csv')), [root])).resolves.toBeUndefined();
    // ENOTDIR is not "does not exist yet": the path cannot be resolved, so it is refused
    await expect(checkDataRoots(table(join(root, 'rows.csv', 'x.csv')), [root])).rejects.toBeInstanceOf(ConfigError);
  });

  it('sourcePaths - every path field of every source kind is checked, store objects are not', async () => {
    const cases: Array<[DataSource, string[]]> = [
      [{ kind: 'fashion-mnist', dir: '/f' } as DataSource, ['dir']],
      [
        { kind: 'idx', trainImages: '/a', trainLabels: '/b', testImages: '/c', testLabels: '/d' } as DataSource,
        ['trainImages', 'trainLabels', 'testImages', 'testLabels'],
      ],
      [
        { kind: 'image-folder', train: '/t', test: '/e', unlabeled: '/u' } as DataSource,
        ['train', 'test', 'unlabeled'],
      ],
      [{ kind: 'tfrecord', dir: '/r', unlabeled: null } as unknown as DataSource, ['dir']],
      [
        { kind: 'table', train: '/t.csv', test: null, unlabeled: '/u.csv' } as unknown as DataSource,
        ['train', 'unlabeled'],
      ],
    ];
    for (const [source, fields] of cases) {
      expect(sourcePaths(source).map((p) => p.field)).toEqual(fields.map((f) => `data.source.${f}`));
      const root = await mkdtemp(join(tmpdir(), 'roots-'));
      const err = await checkDataRoots(source, [root]).catch((e: unknown) => e);
      expect((err as ConfigError).message).toContain(`data.source.${fields[0]} is outside`);
    }
    const inStore = { kind: 'tfrecord', dir: 'store:datasets/raw', unlabeled: null } as unknown as DataSource;
    await expect(checkDataRoots(inStore, [])).resolves.toBeUndefined();
  });
});
