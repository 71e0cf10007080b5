// Ingest: a source dataset -> TFRecord shards + manifest. The labeled subset is N per class chosen
// by seed; the rest of the training split (and any extra unlabeled images) becomes the unlabeled
// shards, seeded-shuffled; the test split is sharded as is. Written one shard at a time.
import { ConfigError, createRng, shuffleInPlace, type CompiledExperiment } from '@noisy/core';
import { datasetKeys } from '@noisy/contracts';
import { encodeSample, encodeTFRecords, openSource, type Sample, type SplitSource } from '@noisy/data';
import { computeStats } from '@noisy/ml';
import { packInputs, type DatasetInfo, type StageContext } from '../context.js';
import { commitStep, putPart, type Part, type StepResult } from '../manifest.js';

const TEST_SHARD = 10_000;

export function datasetIdFor(e: CompiledExperiment, hash: (s: string) => string): string {
  return `${e.data.source.kind}-${hash(JSON.stringify({ data: e.data, seed: e.seed })).slice(0, 12)}`;
}

async function writeShards(
  ctx: StageContext,
  datasetId: string,
  split: 'labeled' | 'unlabeled' | 'test',
  items: Array<{ src: SplitSource; i: number }>,
  shards: number,
  report: () => void,
): Promise<Part[]> {
  const parts: Part[] = [];
  const per = Math.ceil(items.length / shards);
  for (let s = 0; s < shards; s++) {
    const chunk = items.slice(s * per, (s + 1) * per);
    const samples: Sample[] = [];
    for (const { src, i } of chunk) {
      const sample = await src.get(i);
      // Unlabeled shards carry no label: the student must not see it.
      samples.push(split === 'unlabeled' ? { id: sample.id, image: sample.image, features: sample.features } : sample);
      report();
    }
    parts.push(
      await putPart(
        ctx.store,
        datasetKeys.shard(datasetId, split, s, shards),
        encodeTFRecords(samples.map(encodeSample)),
        samples.length,
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
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  const labeled: number[] = [];
  const N = e.data.labeledPerClass;
  byClass.forEach((idx, c) => {
    if (idx.length < N)
      throw new ConfigError(
        'data.labeledPerClass',
        `asks ${N} labeled examples per class but class '${source.classNames[c]}' ` +
          `has only ${idx.length} training examples`,
      );
    shuffleInPlace(idx, rng);
    labeled.push(...idx.slice(0, N));
  });
  labeled.sort((a, b) => a - b);
  const isLabeled = new Uint8Array(source.train.count);
  for (const i of labeled) isLabeled[i] = 1;
  const rest = Array.from({ length: source.train.count }, (_, i) => i).filter((i) => !isLabeled[i]);
  shuffleInPlace(rest, rng);
  const unlabeledItems = rest.map((i) => ({ src: source.train, i }));
  if (source.unlabeled)
    for (let i = 0; i < source.unlabeled.count; i++) unlabeledItems.push({ src: source.unlabeled, i });
  const unl = e.data.unlabeled === 'rest' ? unlabeledItems : unlabeledItems.slice(0, e.data.unlabeled);
  const testCount = Math.min(source.test.count, e.data.testLimit ?? Infinity);
  const testItems = Array.from({ length: testCount }, (_, i) => ({ src: source.test, i }));
  const total = labeled.length + unl.length + testItems.length;
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
  const testParts = await writeShards(
    ctx,
    datasetId,
    'test',
    testItems,
    Math.max(1, Math.ceil(testCount / TEST_SHARD)),
    report,
  );

  // Input statistics from the labeled set and up to 10k unlabeled examples.
  const statSamples: Sample[] = [];
  for (const i of labeled) statSamples.push(await source.train.get(i));
  for (const it of unl.slice(0, 10_000)) statSamples.push(await it.src.get(it.i));
  const stats = computeStats(
    packInputs(statSamples, { kind: source.kind, shape: source.shape }, 'ingest statistics'),
    statSamples.length,
  );

  const info: DatasetInfo = {
    datasetId,
    name: source.name,
    kind: source.kind,
    shape: source.shape,
    classNames: source.classNames,
    stats,
    ...(source.encoding ? { encoding: source.encoding } : {}),
    labeled: labeledPart,
    unlabeled: unlabeledParts,
    test: testParts,
  };
  return {
    parts: [labeledPart, ...unlabeledParts, ...testParts],
    counts: {
      classes,
      labeled: labeled.length,
      unlabeled: unl.length,
      test: testCount,
      unlabeledShards: unlabeledParts.length,
    },
    parents: [],
    config: { data: e.data, seed: e.seed },
    data: info,
  };
}
