import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@noisy/core';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';

/** Three classes around centres in (x1, x2), a class-correlated category, and gaps. */
function rows(n: number, seed: number, withLabel: boolean): { text: string; truth: Map<string, string> } {
  const rng = createRng(seed);
  const names = ['low', 'mid', 'high'];
  const truth = new Map<string, string>();
  const lines = [withLabel ? 'row_id,x1,x2,shade,kind' : 'row_id,x1,x2,shade'];
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    const x1 = rng.next() < 0.05 ? 'NA' : (Math.cos(k * 2.1) * 2 + rng.normal() * 0.7).toFixed(3);
    const x2 = (Math.sin(k * 2.1) * 2 + rng.normal() * 0.7).toFixed(3);
    const shade = rng.next() < 0.7 ? ['red', 'green', 'blue'][k] : ['red', 'green', 'blue', ''][rng.int(4)];
    const id = `s${seed}-${i}`;
    truth.set(id, names[k]);
    lines.push([id, x1, x2, shade, ...(withLabel ? [names[k]] : [])].join(','));
  }
  return { text: `${lines.join('\n')}\n`, truth };
}

const yaml = (dir: string) => `
name: table-tiny
seed: 3
data:
  source: { kind: table, train: ${dir}/train.csv, label: kind, id: row_id, testFraction: 0.25 }
  labeledPerClass: 10
  unlabeledShards: 2
train: { epochs: 20, batchSize: 16, learningRate: 0.3, warmupEpochs: 1, tabularNoise: { gaussian: 0.1, swap: 0.1 } }
teacher: { model: { name: mlp, hidden: [32] } }
students: [ { model: { name: mlp, hidden: [32], width: 2 }, train: { unlabelRatio: 1 } } ]
`;

describe('table data (CSV)', () => {
  let dir = '';
  let summary: { runId: string; dataset: string; generations: Array<{ top1: number; pseudoLabeled?: number }> };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'table-run-'));
    await writeFile(join(dir, 'train.csv'), rows(600, 1, true).text);
    await writeFile(join(dir, 'exp.yaml'), yaml(dir));
    expect(
      await main(
        ['run', join(dir, 'exp.yaml'), '--store', join(dir, 'store'), '--offline', '--summary', join(dir, 's.json')],
        quietIo(),
      ),
    ).toBe(0);
    summary = JSON.parse(await readFile(join(dir, 's.json'), 'utf8'));
  }, 300_000);

  it('noisy run - an MLP teacher and a wider MLP student train on CSV rows with categories and gaps', () => {
    expect(summary.dataset).toBe('train');
    expect(summary.generations).toHaveLength(2);
    for (const g of summary.generations) expect(g.top1).toBeGreaterThan(0.7); // chance is 0.33
  });

  it('noisy predict - a CSV without the label column is encoded as in training and classified', async () => {
    const { text, truth } = rows(60, 9, false);
    await writeFile(join(dir, 'new.csv'), text);
    const model = `runs/${summary.runId}/gen-1/model`;
    expect(
      await main(
        [
          'predict',
          '--model',
          model,
          '--input',
          join(dir, 'new.csv'),
          '--out',
          join(dir, 'p.jsonl'),
          '--store',
          join(dir, 'store'),
        ],
        quietIo(),
      ),
    ).toBe(0);
    const preds = (await readFile(join(dir, 'p.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(preds).toHaveLength(60);
    const right = preds.filter((p) => truth.get(p.id) === p.class1).length;
    expect(right / preds.length).toBeGreaterThan(0.7);
  });
});
