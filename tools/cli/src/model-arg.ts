// `--model`: a checkpoint given as a key in the store (runs/<id>/gen-2/model) or as a folder on
// disk (the path `noisy run` prints, or a checkpoint copied elsewhere). The store is asked first,
// so a key never silently resolves to an unrelated local folder.
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { getJson, type ObjectStore } from '@noisy/platform';
import { checkpointPrefix, type RunSummary } from '@noisy/pipeline';
import { openStore } from './store.js';

export interface ModelLocation {
  store: ObjectStore;
  /** The checkpoint's key prefix inside `store` (its meta.json, model.json, weights.bin). */
  prefix: string;
}

const isFile = (p: string) =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

export async function locateModel(store: ObjectStore, value: string): Promise<ModelLocation> {
  // runs/<id>/best: the generation the run chose on dev (its summary's `best`, else the last one).
  const best = /^runs\/([^/]+)\/best\/?$/.exec(value);
  if (best) return { store, prefix: await bestModel(store, best[1]) };
  const cleaned = value
    .replace(/^file:\/\//, '')
    .replace(/\/(meta|model|manifest)\.json$/, '')
    .replace(/\/+$/, '');
  const pathLike = value.startsWith('file://') || isAbsolute(cleaned) || /^\.\.?(\/|$)/.test(cleaned);
  // A run's model folder holds manifest.json (and the committed attempt's files below it).
  const here = async (name: string) => (await store.head(`${cleaned}/${name}`).catch(() => null)) !== null;
  if (!pathLike && ((await here('meta.json')) || (await here('manifest.json')))) return { store, prefix: cleaned };
  const dir = resolve(cleaned);
  if ((await isFile(resolve(dir, 'meta.json'))) || (await isFile(resolve(dir, 'manifest.json'))))
    return { store: await openStore(`file://${dirname(dir)}`), prefix: basename(dir) };
  // Neither: let the checkpoint loader name what is missing, as a key or as the folder given.
  return pathLike
    ? { store: await openStore(`file://${dirname(dir)}`), prefix: basename(dir) }
    : { store, prefix: cleaned };
}

/** How to show a stored object to a user: a path relative to here for file stores, else its URL. */
export function displayKey(store: ObjectStore, key: string): string {
  if (!store.url.startsWith('file://')) return `${store.url}/${key}`;
  const abs = resolve(store.url.slice('file://'.length), key);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** The checkpoint of the generation a finished run recommends (chosen on dev, else its last). */
async function bestModel(store: ObjectStore, runId: string): Promise<string> {
  if (!(await store.head(runKeys.summary(runId))))
    throw new ConfigError(
      '--model',
      `runs/${runId}/best: run '${runId}' has no summary in ${store.url} (unknown, or not finished)`,
    );
  const summary = await getJson<RunSummary>(store, runKeys.summary(runId));
  return checkpointPrefix(store, runId, summary.best ?? summary.generations.at(-1)!.generation);
}
