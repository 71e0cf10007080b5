// Ingest: a source dataset -> TFRecord shards + manifest. The labeled subset is N per class chosen
// by seed; the rest of the training split (and any extra unlabeled images) becomes the unlabeled
// shards, seeded-shuffled; the test split is sharded as is. A dev split (`data.dev`) is carved from
// the training split first, by its own seed stream, and is neither labeled nor unlabeled data.
// Written one shard at a time.
import { ConfigError, createRng, devCount, shuffleInPlace, type CompiledExperiment } from '@noisy/core';
import { datasetKeys } from '@noisy/contracts';
import { IMAGENET_STATS, encodeSample, encodeTFRecords, openSource, type Sample, type SplitSource } from '@noisy/data';
import { computeStats } from '@noisy/ml';
import { packInputs, type DatasetInfo, type StageContext } from '../context.js';
import { commitStep, putPart, type Part, type StepResult } from '../manifest.js';

const TEST_SHARD = 10_000;
/** Input statistics read at most this many labeled and this many unlabeled examples. */
const STAT_LIMIT = 10_000;

export function datasetIdFor(e: CompiledExperiment, hash: (s: string) => string): string {
  return `${e.data.source.kind}-${hash(JSON.stringify({ data: e.data, seed: e.seed })).slice(0, 12)}`;
}

/** The dev split: `data.dev` training indices drawn by their own stream (sorted), and a membership mask. */
export function carveDev(e: CompiledExperiment, trainCount: number): { dev: number[]; isDev: Uint8Array } {
  const order = Array.from({ length: trainCount }, (_, i) => i);
  shuffleInPlace(order, createRng(e.seed).fork('dev'));
  const dev = order.slice(0, devCount(e.data, trainCount)).sort((a, b) => a - b);
  const isDev = new Uint8Array(trainCount);
  for (const i of dev) isDev[i] = 1;
  return { dev, isDev };
}

async function writeShards(
  ctx: StageContext,
  datasetId: string,
  split: 'labeled' | 'unlabeled' | 'dev' | 'test',
  items: Array<{ src: SplitSource; i: number }>,
  shards: number,
  report: () => void,
): Promise<Part[]> {
  const parts: Part[] = [];
  const per = Math.ceil(items.length / shards);
  for (let s = 0; s < shards; s++) {
    const records: Uint8Array[] = []; // encoded at once: a shard's Sample objects are never all held
    for (let k = s * per; k < Math.min(items.length, (s + 1) * per); k++) {
      const { src, i } = items[k];
      const sample = await src.get(i);
      // Unlabeled shards carry no label: the student must not see it.
      records.push(
        encodeSample(
          split === 'unlabeled'
            ? { id: sample.id, image: sample.image, encoded: sample.encoded, features: sample.features }
            : sample,
        ),
      );
      report();
    }
    parts.push(
      await putPart(
        ctx.store,
        datasetKeys.shard(datasetId, split, s, shards),
        encodeTFRecords(records),
        records.length,
      ),
    );
  }
  return parts;
}

export async function ingest(ctx: StageContext, e: CompiledExperiment, datasetId: string): Promise<string> {
  return commitStep(ctx.store, datasetKeys.manifest(datasetId), 'dataset', () => ingestData(ctx, e, datasetId));
}

async function ingestData(ctx: StageContext, e: CompiledExperiment, datasetId: string): Promise<StepResult<'dataset'>> {
  const source = await openSource(e.data.source, {
    seed: e.seed,
    allowDownload: ctx.allowDownload,
    cacheDir: ctx.cacheDir,
  });
  const labels = source.train.labels!;
  const classes = source.classNames.length;
  const rng = createRng(e.seed).fork('ingest');
  const { dev, isDev } = carveDev(e, source.train.count);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => isDev[i] || byClass[y].push(i));
  const labeled: number[] = [];
  const N = e.data.labeledPerClass;
  // 'all': every labeled training example outside dev, classes of any size.
  if (N === 'all') for (const idx of byClass) for (const i of idx) labeled.push(i);
  else
    byClass.forEach((idx, c) => {
      if (idx.length < N)
        throw new ConfigError(
          'data.labeledPerClass',
          `asks ${N} labeled examples per class but class '${source.classNames[c]}' ` +
            `has only ${idx.length} training examples` +
            (dev.length ? ` outside the dev split (data.dev: ${dev.length})` : ''),
        );
      shuffleInPlace(idx, rng);
      for (let k = 0; k < N; k++) labeled.push(idx[k]); // no spread: classes can hold millions
    });
  labeled.sort((a, b) => a - b);
  const isLabeled = new Uint8Array(source.train.count);
  for (const i of labeled) isLabeled[i] = 1;
  const rest = Array.from({ length: source.train.count }, (_, i) => i).filter((i) => !isLabeled[i] && !isDev[i]);
  shuffleInPlace(rest, rng);
  const unlabeledItems = rest.map((i) => ({ src: source.train, i }));
  if (source.unlabeled)
    for (let i = 0; i < source.unlabeled.count; i++) unlabeledItems.push({ src: source.unlabeled, i });
  const unl = e.data.unlabeled === 'rest' ? unlabeledItems : unlabeledItems.slice(0, e.data.unlabeled);
  const testCount = Math.min(source.test.count, e.data.testLimit ?? Infinity);
  const testItems = Array.from({ length: testCount }, (_, i) => ({ src: source.test, i }));
  const total = labeled.length + unl.length + dev.length + testItems.length;
  let done = 0;
  const report = () => {
    if (++done % 2000 === 0 || done === total) ctx.progress({ unit: 'examples', done, total });
  };

  const [labeledPart] = await writeShards(
    ctx,
    datasetId,
    'labeled',
    labeled.map((i) => ({ src: source.train, i })),
    1,
    report,
  );
  const shards = Math.max(1, Math.min(e.data.unlabeledShards, unl.length));
  const unlabeledParts = unl.length ? await writeShards(ctx, datasetId, 'unlabeled', unl, shards, report) : [];
  const devParts = dev.length
    ? await writeShards(
        ctx,
        datasetId,
        'dev',
        dev.map((i) => ({ src: source.train, i })),
        Math.ceil(dev.length / TEST_SHARD),
        report,
      )
    : [];
  const testParts = await writeShards(
    ctx,
    datasetId,
    'test',
    testItems,
    Math.max(1, Math.ceil(testCount / TEST_SHARD)),
    report,
  );

  // Input statistics from the labeled set and up to 10k unlabeled examples; encoded pictures vary
  // in size and are cropped per model, so they use the original's fixed ImageNet statistics.
  const stats = source.encoded ? { mean: [...IMAGENET_STATS.mean], std: [...IMAGENET_STATS.std] } : null;
  const statSamples: Sample[] = [];
  if (!stats) {
    for (const i of labeled.slice(0, STAT_LIMIT)) statSamples.push(await source.train.get(i));
    for (const it of unl.slice(0, STAT_LIMIT)) statSamples.push(await it.src.get(it.i));
  }

  const info: DatasetInfo = {
    datasetId,
    name: source.name,
    kind: source.kind,
    shape: source.shape,
    classNames: source.classNames,
    stats:
      stats ??
      computeStats(
        packInputs(statSamples, { kind: source.kind, shape: source.shape }, 'ingest statistics'),
        statSamples.length,
      ),
    ...(source.encoding ? { encoding: source.encoding } : {}),
    ...(source.encoded ? { encoded: true } : {}),
    labeled: labeledPart,
    unlabeled: unlabeledParts,
    dev: devParts,
    test: testParts,
  };
  return {
    parts: [labeledPart, ...unlabeledParts, ...devParts, ...testParts],
    counts: {
      classes,
      labeled: labeled.length,
      unlabeled: unl.length,
      dev: dev.length,
      test: testCount,
      unlabeledShards: unlabeledParts.length,
    },
    parents: [],
    config: { data: e.data, seed: e.seed },
    data: info,
  };
}
