// The dev split at ingest: seeded, carved from the training split, disjoint from labeled and
// unlabeled data, labeled (it is evaluated), and absent unless asked for (except on fashion-mnist).
import { describe, expect, it } from 'vitest';
import { compileExperiment, devCount, sha256Hex } from '@noisy/core';
import { tinyExperiment } from '@noisy/testing';
import { MemoryObjectStore } from '@noisy/platform';
import { readSamples, type StageContext } from '../records/context.js';
import { type Part } from '../records/manifest.js';
import { datasetIdFor, ingest } from './ingest.js';
import { readManifest } from './manifests.js';

async function ingestWith(dev: number | 'auto', seed = 3) {
  const store = new MemoryObjectStore();
  const e = tinyExperiment({ seed, data: { ...tinyExperiment().data, dev } });
  const ctx: StageContext = { store, progress: () => {}, shouldStop: () => false, allowDownload: false };
  const m = await readManifest(store, await ingest(ctx, e, datasetIdFor(e, sha256Hex)), 'dataset');
  const ids = async (parts: Part[]) =>
    (await Promise.all(parts.map((p) => readSamples(store, p, 1)))).flat().map((s) => ({ id: s.id, label: s.label }));
  return {
    counts: m.counts,
    labeled: await ids(m.data.labeled),
    unlabeled: await ids(m.data.unlabeled),
    dev: await ids(m.data.dev ?? []),
  };
}

describe('ingest dev split', () => {
  it('ingest - data.dev carves that many labeled training examples, never labeled or unlabeled data', async () => {
    const r = await ingestWith(40);
    expect(r.counts).toMatchObject({ labeled: 40, dev: 40, unlabeled: 240 - 40 - 40, test: 80 });
    expect(r.dev).toHaveLength(40);
    for (const s of r.dev) expect(s.label).toBeGreaterThanOrEqual(0);
    const train = new Set([...r.labeled, ...r.unlabeled].map((s) => s.id));
    expect(r.dev.filter((s) => train.has(s.id))).toEqual([]);
    expect(new Set([...train, ...r.dev.map((s) => s.id)]).size).toBe(240); // nothing lost
  });

  it('ingest - the dev split is seeded: the same seed gives the same ids, another seed others', async () => {
    const [a, b, c] = await Promise.all([ingestWith(0.25, 3), ingestWith(0.25, 3), ingestWith(0.25, 4)]);
    expect(a.dev.map((s) => s.id)).toEqual(b.dev.map((s) => s.id));
    expect(a.dev).toHaveLength(60);
    expect(a.dev.map((s) => s.id)).not.toEqual(c.dev.map((s) => s.id));
  });

  it("ingest - no dev split by default off fashion-mnist, so existing datasets' splits stay as they were", async () => {
    const r = await ingestWith('auto');
    expect(r.counts).toMatchObject({ dev: 0, labeled: 40, unlabeled: 200 });
    expect(r.dev).toEqual([]);
  });

  it('ingest - devCount: 5,000 on fashion-mnist by default, a count or a fraction elsewhere', () => {
    const data = (source: object, dev?: number) =>
      compileExperiment({ data: { source, ...(dev === undefined ? {} : { dev }) }, students: [{}] }).data;
    expect(devCount(data({ kind: 'fashion-mnist' }), 60_000)).toBe(5000);
    expect(devCount(data({ kind: 'synthetic' }), 400)).toBe(0);
    expect(devCount(data({ kind: 'synthetic' }, 0.1), 400)).toBe(40);
    expect(devCount(data({ kind: 'synthetic' }, 50), 400)).toBe(50);
    expect(devCount(data({ kind: 'synthetic' }, 500), 400)).toBe(400);
  });
});
