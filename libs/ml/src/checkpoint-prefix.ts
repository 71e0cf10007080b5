// Where a committed checkpoint's files are. Training saves each attempt under its own
// `attempt-<id>/` folder of the model directory and commits a `manifest.json` beside them whose
// parts name the winning attempt's files; a checkpoint saved directly (meta.json in the folder
// itself: exports, tests, copies) is its own prefix.
import type { ObjectStore } from '@noisy/platform';

export async function checkpointPrefix(store: ObjectStore, prefix: string): Promise<string> {
  if (await store.head(`${prefix}/meta.json`)) return prefix;
  const manifestKey = `${prefix}/manifest.json`;
  if (!(await store.head(manifestKey))) return prefix; // the loader names what is missing
  const m = JSON.parse(new TextDecoder().decode(await store.get(manifestKey))) as { parts?: Array<{ key?: unknown }> };
  const meta = m.parts?.find((p) => typeof p.key === 'string' && p.key.endsWith('/meta.json'))?.key as
    string | undefined;
  // The attempt folder, relative to this prefix: the store may be rooted elsewhere than the run's.
  const attempt = meta?.split('/').at(-2);
  return attempt && /^attempt-[0-9a-f]+$/.test(attempt) ? `${prefix}/${attempt}` : prefix;
}
