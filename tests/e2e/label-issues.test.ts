// Label issues on injected label noise, in a process of its own: after the other user-command
// tests in one process, this test ran ~75x slower (328 s against 4.4 s alone; not yet explained).
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePng, openSynthetic } from '@noisy/data';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';
import { usersExperiment } from './user-experiment.js';

const quiet = quietIo;

const yaml = usersExperiment;

describe('noisy export --label-issues on injected label noise', () => {
  it('noisy export --label-issues - finds labeled images filed under the wrong class', async () => {
    // 10 labeled images per class, 2 of each rendered from the next class: 6 wrong labels of 30
    const dir = await mkdtemp(join(tmpdir(), 'issues-'));
    const src = openSynthetic({ classes: 3, size: 10, channels: 1, train: 150, test: 30, seed: 4 });
    const wrong = new Set<string>();
    const filed = [0, 0, 0];
    for (let i = 0; i < 150; i++) {
      const s = await src.train.get(i);
      const y = s.label!;
      if (i < 30) {
        const k = Math.floor(i / 3); // the k-th image of class y (i % 3 === y)
        const as = k < 2 ? (y + 1) % 3 : y; // ... the first two of each class filed under the next one
        const id = `class-${as}/img-${i}.png`;
        if (as !== y) wrong.add(id);
        filed[as]++;
        await mkdir(join(dir, 'train', `class-${as}`), { recursive: true });
        await writeFile(join(dir, 'train', id), encodePng(s.image!));
      } else {
        await mkdir(join(dir, 'unlabeled'), { recursive: true });
        await writeFile(join(dir, 'unlabeled', `u-${i}.png`), encodePng(s.image!));
      }
    }
    for (let i = 0; i < 30; i++) {
      const s = await src.test.get(i);
      await mkdir(join(dir, 'test', `class-${s.label}`), { recursive: true });
      await writeFile(join(dir, 'test', `class-${s.label}`, `t-${i}.png`), encodePng(s.image!));
    }
    expect(filed).toEqual([10, 10, 10]);
    expect(wrong.size).toBe(6);
    const exp = yaml
      .replace(
        /source: \{[^}]*\}/,
        `source: { kind: image-folder, train: ${dir}/train, test: ${dir}/test, unlabeled: ${dir}/unlabeled, channels: 1 }`,
      )
      .replace('name: users', 'name: issues');
    await writeFile(join(dir, 'exp.yaml'), exp);
    const store = join(dir, 'store');
    const summary = join(dir, 's.json');
    expect(
      await main(['run', join(dir, 'exp.yaml'), '--store', store, '--offline', '--summary', summary], quiet()),
    ).toBe(0);
    const runId = JSON.parse(await readFile(summary, 'utf8')).runId;
    const out = join(dir, 'issues.jsonl');
    const args = ['export', '--run', runId, '--generation', '1', '--out', out, '--label-issues', '--folds', '3'];
    const probsFile = join(dir, 'pred-probs.csv');
    expect(await main([...args, '--pred-probs', probsFile, '--store', store], quiet())).toBe(0);
    // cleanlab's inputs: one row per labeled image, its given label and K-fold probabilities summing to 1.
    const probRows = (await readFile(probsFile, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(probRows).toHaveLength(30);
    for (const r of probRows) {
      expect(Number(r[1])).toBe(Number(/class-(\d)/.exec(r[0])![1]));
      expect(Number(r[2]) + Number(r[3]) + Number(r[4])).toBeCloseTo(1, 4);
    }
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; givenClass: number; predictedClass: number });
    const found = rows.filter((r) => wrong.has(r.id));
    expect(found.length, JSON.stringify(rows)).toBeGreaterThanOrEqual(3); // most of the 6 injected
    expect(found.length, JSON.stringify(rows)).toBeGreaterThan(rows.length / 2); // mostly injected ones
    for (const r of found) expect(r.predictedClass).toBe((r.givenClass + 2) % 3); // the class it was drawn from
  }, 600_000); // the run, then three trainings of the student (one per fold)
});
