// Shards in the original implementation's layout go in, and filter output in its schema comes out:
// train-*/test-* with JPEG image/encoded and 1-based image/class/label, extra-* unlabeled shards
// with dummy probabilities/prob/label; filtered records with image/encoded, probabilities, prob, label.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bytesFeature,
  decodeExample,
  decodeTFRecords,
  encodeExample,
  encodeJpeg,
  encodeTFRecords,
  floatFeature,
  int64Feature,
  openSynthetic,
} from '@noisy/data';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';

const quiet = quietIo;

async function writeOriginalShards(dir: string): Promise<void> {
  const src = openSynthetic({ classes: 3, size: 12, channels: 1, train: 120, test: 30, seed: 8 });
  const labeled = async (split: 'train' | 'test', count: number, shards: number, name: string) => {
    const per = Math.ceil(count / shards);
    for (let s = 0; s < shards; s++) {
      const recs = [];
      for (let i = s * per; i < Math.min(count, (s + 1) * per); i++) {
        const x = await src[split].get(i);
        recs.push(
          encodeExample({
            'image/encoded': bytesFeature(encodeJpeg(x.image!)),
            'image/class/label': int64Feature(x.label! + 1),
          }),
        );
      }
      await writeFile(
        join(dir, `${name}-${String(s).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`),
        encodeTFRecords(recs),
      );
    }
  };
  await labeled('train', 60, 2, 'train');
  await labeled('test', 30, 1, 'test');
  await mkdir(join(dir, 'unlabeled'));
  const recs = [];
  for (let i = 60; i < 120; i++) {
    const x = await src.train.get(i);
    recs.push(
      encodeExample({
        'image/encoded': bytesFeature(encodeJpeg(x.image!)),
        probabilities: floatFeature([0, 0, 0]),
        prob: floatFeature([0]),
        label: int64Feature(0),
      }),
    );
  }
  await writeFile(join(dir, 'unlabeled', 'extra-00000-of-00001'), encodeTFRecords(recs));
}

describe('seed compatibility', () => {
  it("seed compatibility - the original's shards train a run whose filter output uses the original's schema", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seed-'));
    await mkdir(join(dir, 'proc'));
    await writeOriginalShards(join(dir, 'proc'));
    await writeFile(
      join(dir, 'exp.yaml'),
      `
name: seed-compat
data: { source: { kind: tfrecord, dir: proc, unlabeled: proc/unlabeled, channels: 1 }, labeledPerClass: 10, unlabeledShards: 2 }
train: { epochs: 12, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students: [ { model: { name: cnn-small, width: 0.5 }, train: { unlabelRatio: 1 } } ]
filter: { encode: jpeg }
`,
    );
    expect(
      await main(
        ['run', join(dir, 'exp.yaml'), '--store', join(dir, 'store'), '--offline', '--summary', join(dir, 's.json')],
        quiet(),
      ),
    ).toBe(0);
    const s = JSON.parse(await readFile(join(dir, 's.json'), 'utf8'));
    expect(s.dataset).toBe('tfrecord');
    expect(s.generations[0].labeled).toBe(30);
    expect(s.generations[1].pseudoLabeled).toBeGreaterThan(0);
    expect(s.generations[0].top1).toBeGreaterThan(0.6);
    const dataDir = join(dir, 'store', 'runs', s.runId, 'gen-1', 'filter', 'data');
    const shard = (await readdir(dataDir)).find((f) => f.endsWith('.tfrecord'))!;
    const bytes = await readFile(join(dataDir, shard));
    const first = decodeExample([...decodeTFRecords(bytes, shard)][0]);
    expect(Object.keys(first).sort()).toEqual(['id', 'image/encoded', 'label', 'prob', 'probabilities']);
    const enc = (first['image/encoded'] as { value: Uint8Array[] }).value[0];
    expect([enc[0], enc[1]]).toEqual([0xff, 0xd8]); // JPEG
    expect((first.probabilities as { value: Float32Array }).value).toHaveLength(3);
  }, 120_000);
});
