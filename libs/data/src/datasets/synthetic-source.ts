// Tiny synthetic images for tests and smoke runs: class k is a bright blob at angle 2*pi*k/C on a
// circle, jittered and noised, so that a small CNN separates the classes in seconds.
import { createRng } from '@noisy/core';
import type { SourceDataset, SplitSource } from './source.js';

export interface SyntheticOptions {
  classes: number;
  size: number;
  channels: 1 | 3;
  train: number;
  test: number;
  seed: number;
}

function render(k: number, i: number, split: string, o: SyntheticOptions) {
  const rng = createRng(o.seed).fork(`${split}:${i}`);
  const S = o.size;
  const angle = (2 * Math.PI * k) / o.classes;
  const cy = S / 2 + (S / 4) * Math.sin(angle) + (rng.next() - 0.5) * 2;
  const cx = S / 2 + (S / 4) * Math.cos(angle) + (rng.next() - 0.5) * 2;
  const data = new Uint8Array(S * S * o.channels);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const v = 200 * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * (S / 8) ** 2)) + 30 + rng.normal() * 25;
      for (let c = 0; c < o.channels; c++)
        data[(y * S + x) * o.channels + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  return { height: S, width: S, channels: o.channels, data };
}

function splitOf(name: string, count: number, o: SyntheticOptions): SplitSource {
  const labels = Int32Array.from({ length: count }, (_, i) => i % o.classes);
  return {
    count,
    labels,
    get: async (i) => ({ id: `${name}-${i}`, label: labels[i], image: render(labels[i], i, name, o) }),
  };
}

export function openSynthetic(o: SyntheticOptions): SourceDataset {
  return {
    name: 'synthetic',
    kind: 'image',
    shape: [o.size, o.size, o.channels],
    classNames: Array.from({ length: o.classes }, (_, k) => `class-${k}`),
    train: splitOf('train', o.train, o),
    test: splitOf('test', o.test, o),
    unlabeled: null,
  };
}
