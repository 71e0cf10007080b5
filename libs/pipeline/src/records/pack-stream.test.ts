import { describe, expect, it } from 'vitest';
import { DataError } from '@noisy/core';
import type { Sample } from '@noisy/data';
import { packStream, packStreams } from './pack-stream.js';

async function* from(samples: Sample[]): AsyncGenerator<Sample> {
  yield* samples;
}
const img = (v: number, h = 2): Sample['image'] => ({
  height: h,
  width: 2,
  channels: 1,
  data: new Uint8Array(h * 2).fill(v),
});
const info = { kind: 'image' as const, shape: [2, 2, 1] };

describe('packStream', () => {
  it('packStream - fills pixels, labels and teacher distributions in stream order', async () => {
    const samples: Sample[] = [
      { id: 'a', image: img(1), label: 2, probabilities: Float32Array.from([0.1, 0.2, 0.7]) },
      { id: 'b', image: img(9), label: 0, probabilities: Float32Array.from([0.6, 0.3, 0.1]) },
    ];
    const p = await packStream(from(samples), 2, info, 3, 'shard-0', { labels: true, probabilities: true });
    expect(p.set).toMatchObject({ kind: 'image', count: 2, shape: [2, 2, 1] });
    expect(Array.from((p.set as { pixels: Uint8Array }).pixels)).toEqual([1, 1, 1, 1, 9, 9, 9, 9]);
    expect(Array.from(p.labels!)).toEqual([2, 0]);
    expect(Array.from(p.probabilities!).map((x) => +x.toFixed(1))).toEqual([0.1, 0.2, 0.7, 0.6, 0.3, 0.1]);
  });

  it('packStream - a wrong shape, label or record count is a DataError naming shard and record', async () => {
    const ok = { id: 'a', image: img(1), label: 0 };
    await expect(packStream(from([ok, { id: 'b', image: img(1, 3) }]), 2, info, 3, 'shard-4')).rejects.toThrow(
      /shard-4 \(record 1\): image 3x2x1 but the dataset's shape is 2x2x1/,
    );
    await expect(
      packStream(from([ok, { id: 'b', image: img(1), label: 5 }]), 2, info, 3, 'shard-4', { labels: true }),
    ).rejects.toThrow(/record 1\): label 5 outside \[0, 3\)/);
    await expect(packStream(from([ok]), 2, info, 3, 'shard-4')).rejects.toThrow(DataError);
    await expect(packStream(from([ok, ok]), 1, info, 3, 'shard-4')).rejects.toThrow(/more than the 1 records/);
  });

  it('packStreams - parts packed one after another into one set; an error names its part and its record there', async () => {
    const part = (where: string, labels: number[], v: number) => ({
      samples: from(labels.map((label, i) => ({ id: `${where}#${i}`, image: img(v + i), label }))),
      count: labels.length,
      where,
    });
    const p = await packStreams([part('labeled-0', [1, 0], 1), part('labeled-1', [2], 7)], info, 3, { labels: true });
    expect(p.set.count).toBe(3);
    expect(Array.from((p.set as { pixels: Uint8Array }).pixels)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 7, 7, 7, 7]);
    expect(Array.from(p.labels!)).toEqual([1, 0, 2]);
    const bad = packStreams([part('labeled-0', [1, 0], 1), part('labeled-1', [2, 9], 7)], info, 3, { labels: true });
    await expect(bad).rejects.toThrow(DataError);
    await expect(
      packStreams([part('labeled-0', [1, 0], 1), part('labeled-1', [2, 9], 7)], info, 3, { labels: true }),
    ).rejects.toThrow(/^labeled-1 \(record 1\): label 9 outside \[0, 3\)/);
  });
});
