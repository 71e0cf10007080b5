// Dataset paths confined to configured roots: a service reads only files under the directories
// its operator named (NOISY_DATA_ROOTS), checked after resolving symlinks, so neither `../` nor a
// link planted inside a root reaches /proc/self/environ or a mounted secret.
import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import { ConfigError, type DataSource } from '@noisy/core';
import { isStorePath } from './source-objects.js';

/** Every file or directory path a source names, with its field path in the experiment. */
export function sourcePaths(source: DataSource): Array<{ field: string; path: string }> {
  const named = (o: Record<string, string | null | undefined>) =>
    Object.entries(o)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([k, path]) => ({ field: `data.source.${k}`, path }));
  switch (source.kind) {
    case 'fashion-mnist':
      return named({ dir: source.dir });
    case 'idx':
      return named({
        trainImages: source.trainImages,
        trainLabels: source.trainLabels,
        testImages: source.testImages,
        testLabels: source.testLabels,
      });
    case 'image-folder':
      return named({ train: source.train, test: source.test, unlabeled: source.unlabeled });
    case 'tfrecord':
      return named({ dir: source.dir, unlabeled: source.unlabeled });
    case 'table':
      return named({ train: source.train, test: source.test, unlabeled: source.unlabeled });
    case 'synthetic':
      return [];
    // Stryker disable all: unreachable, the switch is exhaustive over a union (the compiler checks `never`)
    default: {
      const never: never = source;
      throw new Error(`unknown data source ${JSON.stringify(never)}`);
    }
  }
}
// Stryker restore all

/** The real path of `p`; for a path that does not exist yet, its nearest existing ancestor's real path + the rest. */
async function realOrParent(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch (err) {
    const parent = dirname(p);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
    return resolve(await realOrParent(parent), basename(p));
  }
}

const inside = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Refuse (ConfigError naming `setting`) any path of `source` that does not resolve inside one of
 * `roots`; relative paths resolve against `cwd`. With no roots, only path-less sources pass.
 */
export async function checkDataRoots(
  source: DataSource,
  roots: readonly string[],
  o: { setting?: string; cwd?: string } = {},
): Promise<void> {
  const setting = o.setting ?? 'NOISY_DATA_ROOTS';
  // `store:` paths are objects of the run's own store, not files (source-objects.ts confines them).
  const paths = sourcePaths(source).filter((p) => !isStorePath(p.path));
  if (!paths.length) return;
  const realRoots = await Promise.all(roots.map((r) => realOrParent(resolve(r))));
  for (const { field, path } of paths) {
    const real = await realOrParent(resolve(o.cwd ?? process.cwd(), path)).catch(() => null);
    if (real === null || !realRoots.some((r) => inside(real, r)))
      throw new ConfigError(
        setting,
        realRoots.length
          ? `${field} is outside the allowed data roots (${roots.join(', ')}); put the dataset under one of them or add its directory to ${setting}`
          : `${field} names a file, and this service reads no files until ${setting} names the directories it may read`,
      );
  }
}
