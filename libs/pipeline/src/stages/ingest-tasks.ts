// Ingest's fan-out, one task per source part, in the filter's map/reduce shape:
//   ingest                 lists the source's parts (files, or ranges of an in-memory split)
//   ingest-count  x parts  per-class record counts (and a file part's size and sha256)
//   ingest-select          the seeded reduce: each part's share of every split (ingest-select.ts)
//   ingest-write  x parts  re-reads its part, picks its share, writes its shards
// then ingest-commit (ingest.ts) commits the dataset manifest. Each task commits its own manifest
// under datasets/<id>/ingest/, so a restart redoes only what had not committed. A task holds one
// part's read chunk and the record in hand, plus counters per class: never the dataset.
import { DataError, createRng, type CompiledExperiment } from '@noisy/core';
import { datasetKeys } from '@noisy/contracts';
import {
  encodeSample,
  openSourceParts,
  sourceFileSize,
  type FileDigest,
  type PartedSource,
  type PartRecord,
  type Sample,
} from '@noisy/data';
import type { StageContext } from '../records/context.js';
import { IndexRecorder, writeIndex } from '../records/record-index.js';
import { attemptKey, putRecords, type Part } from '../records/manifest.js';
import type { IngestPlanData } from './ingest-data.js';
import { keepsLabeled, partChooser, selectIngest, type PartCounts, type Role } from './ingest-select.js';
import { commitStep, readManifest } from './manifests.js';

const open = (ctx: StageContext, e: CompiledExperiment): Promise<PartedSource> =>
  openSourceParts(e.data.source, {
    seed: e.seed,
    allowDownload: ctx.allowDownload,
    cacheDir: ctx.cacheDir,
    objects: ctx.store,
  });

/** The committed plan (the part count every other key needs). */
export async function readPlan(ctx: StageContext, datasetId: string) {
  return readManifest(ctx.store, datasetKeys.ingestPlan(datasetId), 'ingest-plan');
}

/** The opened source, checked to still have the planned parts. */
async function openPlanned(ctx: StageContext, e: CompiledExperiment, plan: IngestPlanData): Promise<PartedSource> {
  const src = await open(ctx, e);
  const same = src.parts.length === plan.parts.length && src.parts.every((p, i) => p.name === plan.parts[i].name);
  if (!same)
    throw new DataError(
      plan.parts[0]?.name ?? 'data.source',
      `the source's parts changed since ingest listed them (${plan.parts.length} then, ${src.parts.length} now); ` +
        'restore them, or change data (or the seed) to ingest it as a new dataset',
    );
  return src;
}

export async function ingestPlan(ctx: StageContext, e: CompiledExperiment, datasetId: string): Promise<string> {
  return commitStep(ctx.store, datasetKeys.ingestPlan(datasetId), 'ingest-plan', async () => {
    const src = await open(ctx, e);
    return {
      parts: [],
      counts: { parts: src.parts.length },
      parents: [],
      config: { data: e.data, seed: e.seed },
      data: {
        name: src.name,
        kind: src.kind,
        shape: src.shape,
        encoded: src.encoded,
        classNames: src.classNames,
        ...(src.encoding ? { encoding: src.encoding } : {}),
        parts: src.parts,
      },
    };
  });
}

export async function ingestCount(
  ctx: StageContext,
  e: CompiledExperiment,
  datasetId: string,
  part: number,
): Promise<string> {
  const plan = await readPlan(ctx, datasetId);
  const P = plan.data.parts.length;
  const key = datasetKeys.ingestCount(datasetId, part, P);
  return commitStep(ctx.store, key, 'ingest-count', async () => {
    const src = await openPlanned(ctx, e, plan.data);
    const perClass: number[] = [];
    let records = 0;
    let file: FileDigest | undefined;
    let last: PartRecord | undefined;
    const split = plan.data.parts[part].split;
    // Asked for, a file of an encoded dataset may be read in place (nothing to re-encode): a test or
    // unlabeled file, or a train file when every training record is labeled (labeledPerClass 'all').
    // Its pictures are checked now, as writing would have, and an unlabeled record with a label
    // makes it a copy (unlabeled shards carry no label).
    const asked = e.data.source.kind === 'tfrecord' && e.data.source.readInPlace === true;
    let inPlace =
      asked &&
      plan.data.encoded &&
      plan.data.parts[part].file !== undefined &&
      (split !== 'train' || e.data.labeledPerClass === 'all');
    // A file read in place gets its record index now, while it is read anyway (record-index.ts).
    const recorder = inPlace ? new IndexRecorder(split === 'train') : null;
    for await (const r of src.records(part, (d) => (file = d))) {
      if (r.label !== null) {
        while (perClass.length <= r.label) perClass.push(0);
        perClass[r.label]++;
      }
      if (inPlace && r.carriesLabel) inPlace = false;
      if (inPlace) await r.sample();
      recorder?.add(r.length ?? -1, r.label ?? undefined);
      if (++records % 5000 === 0) ctx.progress({ unit: r.unit, done: r.done, total: r.total });
      last = r;
    }
    if (last) ctx.progress({ unit: last.unit, done: last.total, total: last.total });
    if (inPlace && recorder && file)
      await writeIndex(
        ctx.store,
        { key: file.file, sha256: file.sha256, bytes: file.bytes, records },
        recorder.index(),
      );
    return {
      parts: [],
      counts: { records },
      parents: [datasetKeys.ingestPlan(datasetId)],
      config: { part: plan.data.parts[part] },
      data: { split, records, perClass, ...(inPlace ? { inPlace } : {}), ...(file ? { file } : {}) },
    };
  });
}

export async function ingestSelect(ctx: StageContext, e: CompiledExperiment, datasetId: string): Promise<string> {
  const plan = await readPlan(ctx, datasetId);
  const P = plan.data.parts.length;
  return commitStep(ctx.store, datasetKeys.ingestSelect(datasetId), 'ingest-select', async () => {
    const keys = Array.from({ length: P }, (_, p) => datasetKeys.ingestCount(datasetId, p, P));
    const counts: PartCounts[] = [];
    for (const k of keys) {
      const { split, records, perClass, inPlace } = (await readManifest(ctx.store, k, 'ingest-count')).data;
      counts.push({ split, records, perClass, ...(inPlace ? { inPlace } : {}) });
    }
    const sel = selectIngest(e, counts, plan.data.classNames, createRng(e.seed).fork('ingest-select'));
    return {
      parts: [],
      counts: { ...sel.counts, classes: sel.classes },
      parents: [datasetKeys.ingestPlan(datasetId), ...keys],
      config: { data: e.data, seed: e.seed },
      data: sel,
    };
  });
}

/**
 * Pictures decoded to pixels must all have the dataset's shape (taken from its first picture):
 * one that differs fails ingest here, naming it, rather than the first training step later.
 */
function checkPictureShape(
  img: { height: number; width: number; channels: number },
  shape: readonly number[],
  part: string,
  id: string,
): void {
  const [h, w, c] = shape;
  if (img.height === h && img.width === w && img.channels === c) return;
  throw new DataError(
    part,
    `picture ${id} is ${img.height}x${img.width}x${img.channels}, but the dataset's pictures are ${h}x${w}x${c} ` +
      '(its first picture): pictures of varying size need data.source.pictures: encoded (cropped and resized to ' +
      "each model's resolution when it trains), or resize them to one size first",
  );
}

/** Per-channel sums of what a write task keeps as labeled or unlabeled (raw pixels and table rows). */
class Sums {
  n = 0;
  readonly sum: Float64Array;
  readonly sq: Float64Array;
  constructor(readonly channels: number) {
    this.sum = new Float64Array(channels);
    this.sq = new Float64Array(channels);
  }
  add(s: Sample): void {
    const data = s.image ? s.image.data : s.features;
    if (!data) return;
    const scale = s.image ? 1 / 255 : 1;
    const ch = this.channels;
    for (let i = 0; i < data.length; i++) {
      const v = data[i] * scale;
      this.sum[i % ch] += v;
      this.sq[i % ch] += v * v;
    }
    this.n += data.length / ch;
  }
}

export async function ingestWrite(
  ctx: StageContext,
  e: CompiledExperiment,
  datasetId: string,
  part: number,
): Promise<string> {
  const plan = await readPlan(ctx, datasetId);
  const P = plan.data.parts.length;
  const countKey = datasetKeys.ingestCount(datasetId, part, P);
  const selectKey = datasetKeys.ingestSelect(datasetId);
  return commitStep(ctx.store, datasetKeys.ingestWrite(datasetId, part, P), 'ingest-write', async (attempt) => {
    const counted = (await readManifest(ctx.store, countKey, 'ingest-count')).data;
    const sel = (await readManifest(ctx.store, selectKey, 'ingest-select')).data;
    const share = sel.parts[part];
    const src = await openPlanned(ctx, e, plan.data);
    const info = plan.data;
    const sums = info.encoded ? null : new Sums(info.kind === 'image' ? info.shape[2] : info.shape[0]);
    // A file must hold the bytes it held when counted: the choice was made on those counts.
    const where = plan.data.parts[part].name;
    const changed = (detail: string) =>
      new DataError(
        where,
        `changed since ingest counted it (${detail}); restore it, or delete ` +
          `${datasetKeys.root(datasetId)}/ingest/ to count the source again`,
      );
    const check = (d: FileDigest) => {
      const c = counted.file;
      if (c && (c.bytes !== d.bytes || c.sha256 !== d.sha256))
        throw changed(
          `${c.bytes} bytes, sha256 ${c.sha256.slice(0, 12)}... then; ${d.bytes} bytes, sha256 ${d.sha256.slice(0, 12)}... now`,
        );
    };
    if (counted.file) {
      const bytes = (await sourceFileSize(counted.file.file, ctx.store)) ?? -1;
      if (bytes !== counted.file.bytes)
        throw changed(`${counted.file.bytes} bytes then, ${bytes < 0 ? 'missing' : `${bytes} bytes`} now`);
    }
    let done = 0;
    const total =
      share.unlabeled + share.test + (share.labeled === 'all' && counted.split === 'train' ? counted.records : 0);
    // One pass over the part per output shard: the chooser replays the same roles every pass.
    const pass = async (split: NonNullable<Role>['split'], shard: number, key: string): Promise<Part> => {
      const choose = partChooser(share, counted, createRng(e.seed).fork(`ingest-write:${part}`));
      // Training reads encoded pictures record by record: it finds them by this index (record-index.ts).
      const recorder = info.encoded ? new IndexRecorder(split === 'labeled') : null;
      async function* records(): AsyncGenerator<Uint8Array> {
        for await (const r of src.records(part, check)) {
          let role: Role;
          try {
            role = choose(r.label);
          } catch {
            throw changed(`class ${r.label} holds more records than counted`);
          }
          if (!role || role.split !== split || role.shard !== shard) continue;
          const s = await r.sample();
          if (s.image && !info.encoded) checkPictureShape(s.image, info.shape, where, s.id);
          if (split !== 'test' && split !== 'dev') sums?.add(s);
          // Unlabeled shards carry no label: the student must not see it.
          const rec = encodeSample(
            split === 'unlabeled' ? { id: s.id, image: s.image, encoded: s.encoded, features: s.features } : s,
          );
          recorder?.add(rec.length, s.label);
          yield rec;
          if (++done % 2000 === 0) ctx.progress({ unit: 'examples', done, total: Math.max(total, done) });
        }
      }
      const written = await putRecords(ctx.store, attemptKey(key, attempt), records());
      if (recorder) await writeIndex(ctx.store, written, recorder.index());
      return written;
    };
    const shards = (span: [number, number], split: 'unlabeled' | 'dev' | 'test', of: number) =>
      Array.from({ length: span[1] }, (_, j) => ({ split, shard: span[0] + j, of }));
    if (share.inPlace) {
      // The source file is the shard: the manifest points at it, with the size and sha256 counted.
      const f = counted.file!;
      const inPlace: Part = { key: f.file, file: f.file, sha256: f.sha256, bytes: f.bytes, records: counted.records };
      const as = counted.split === 'train' ? 'labeled' : counted.split === 'test' ? 'test' : 'unlabeled';
      const n = (s: typeof as) => (as === s ? inPlace.records : 0);
      const list = (s: typeof as) => (as === s ? [inPlace] : []);
      return {
        parts: [inPlace],
        counts: { labeled: n('labeled'), unlabeled: n('unlabeled'), dev: 0, test: n('test') },
        parents: [datasetKeys.ingestPlan(datasetId), countKey, selectKey],
        config: { part: plan.data.parts[part], inPlace: true },
        data: {
          labeled: as === 'labeled' ? inPlace : null,
          unlabeled: list('unlabeled'),
          dev: [],
          test: list('test'),
          sums: null,
        },
      };
    }
    const labeled = keepsLabeled(share, counted)
      ? await pass('labeled', 0, datasetKeys.ingestLabeled(datasetId, part, P))
      : null;
    const out: Record<'unlabeled' | 'dev' | 'test', Part[]> = { unlabeled: [], dev: [], test: [] };
    for (const o of [
      ...shards(share.unlabeledShards, 'unlabeled', sel.shards.unlabeled),
      ...shards(share.devShards, 'dev', sel.shards.dev),
      ...shards(share.testShards, 'test', sel.shards.test),
    ])
      out[o.split].push(await pass(o.split, o.shard, datasetKeys.shard(datasetId, o.split, o.shard, o.of)));
    const written = [...(labeled ? [labeled] : []), ...out.unlabeled, ...out.dev, ...out.test];
    return {
      parts: written,
      counts: {
        labeled: labeled?.records ?? 0,
        unlabeled: out.unlabeled.reduce((a, p) => a + p.records, 0),
        dev: out.dev.reduce((a, p) => a + p.records, 0),
        test: out.test.reduce((a, p) => a + p.records, 0),
      },
      parents: [datasetKeys.ingestPlan(datasetId), countKey, selectKey],
      config: { part: plan.data.parts[part] },
      data: {
        ...out,
        labeled,
        sums: sums ? { n: sums.n, sum: Array.from(sums.sum), sq: Array.from(sums.sq) } : null,
      },
    };
  });
}
