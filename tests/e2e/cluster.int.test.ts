// The distributed form as separate OS processes (nats-server, s3rver, controller, ingestion, two
// inference workers, filter, trainer, evaluator) driven through the controller's gRPC API gives
// the same per-generation metrics as the embedded run with the same seed.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devDown, devUp } from '../../tools/cli/src/commands/dev.js';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';

const quiet = quietIo;

const yaml = `
name: cluster-tiny
seed: 5
data: { source: { kind: synthetic, classes: 3, size: 10, train: 150, test: 45 }, labeledPerClass: 8, unlabeledShards: 4 }
train: { epochs: 12, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: { layers: 1, magnitude: 2, extraCutout: false }, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students: [ { model: { name: cnn-small, width: 0.5 }, train: { unlabelRatio: 1 } } ]
`;

describe('local cluster', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await devDown({ dir: join(dir, 'dev') }, quiet());
  });

  it("local cluster - separate processes over NATS and S3 give the embedded run's metrics", async () => {
    dir = await mkdtemp(join(tmpdir(), 'cluster-'));
    await writeFile(join(dir, 'exp.yaml'), yaml);
    const out: string[] = [];
    expect(
      await devUp(
        { dir: join(dir, 'dev'), inference: 2 },
        {
          ...quiet(),
          out: (s) => {
            out.push(s);
          },
        },
      ),
    ).toBe(0);
    const controller = JSON.parse(await readFile(join(dir, 'dev', 'dev.json'), 'utf8')).controller as string;
    expect(
      await main(
        ['run', join(dir, 'exp.yaml'), '--controller', controller, '--summary', join(dir, 'cluster.json')],
        quiet(),
      ),
    ).toBe(0);
    expect(
      await main(
        [
          'run',
          join(dir, 'exp.yaml'),
          '--store',
          join(dir, 'embedded'),
          '--offline',
          '--summary',
          join(dir, 'embedded.json'),
        ],
        quiet(),
      ),
    ).toBe(0);
    const cluster = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8'));
    const embedded = JSON.parse(await readFile(join(dir, 'embedded.json'), 'utf8'));
    expect(cluster.runId).toBe(embedded.runId);
    expect(cluster.generations.map((g: { top1: number }) => g.top1)).toEqual(
      embedded.generations.map((g: { top1: number }) => g.top1),
    );
    expect(cluster.generations.map((g: { pseudoLabeled: number }) => g.pseudoLabeled)).toEqual(
      embedded.generations.map((g: { pseudoLabeled: number }) => g.pseudoLabeled),
    );
    const status: string[] = [];
    expect(
      await main(['status', cluster.runId, '--controller', controller], {
        ...quiet(),
        out: (s) => {
          status.push(s);
        },
      }),
    ).toBe(0);
    expect(status.join('')).toMatch(new RegExp(`${cluster.runId}: finished`));
    // Every prediction shard ran exactly once, spread over the inference workers.
    const logs = await Promise.all([0, 1].map((i) => readFile(join(dir, 'dev', 'logs', `inference-${i}.log`), 'utf8')));
    const done = logs.flatMap((l) =>
      l
        .split('\n')
        .filter((x) => x.includes('"task done"'))
        .map((x) => JSON.parse(x).taskId as string),
    );
    expect(done.sort()).toEqual([0, 1, 2, 3].map((s) => `${cluster.runId}:1:predict:${s}`));
  }, 240_000);
});
