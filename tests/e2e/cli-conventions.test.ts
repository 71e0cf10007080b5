// The CLI's conventions on real runs: `--set` overrides recorded in the run, NOISY_STORE_URL as
// the store, the model path `noisy run` prints accepted by --model, and `runs --compare`.
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { encodePng, openSynthetic } from '@noisy/data';
import type { CommandIo } from '../../tools/cli/src/commands/io.js';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';

const yaml = `
name: conv
seed: 3
data: { source: { kind: synthetic, classes: 3, size: 10, train: 120, test: 30 }, labeledPerClass: 8, unlabeledShards: 1 }
train: { epochs: 6, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students: [ { model: { name: cnn-small, width: 0.5 }, train: { unlabelRatio: 1 } } ]
`;

function captured(): CommandIo & { text: string; errText: string } {
  const io = { ...quietIo(), text: '', errText: '' };
  io.out = (s: string) => {
    io.text += s;
  };
  io.err = (s: string) => {
    io.errText += s;
  };
  return io;
}

/** Run the CLI with NOISY_STORE_URL set and no --store flag. */
async function withStoreEnv<T>(store: string, fn: () => Promise<T>): Promise<T> {
  process.env.NOISY_STORE_URL = store;
  try {
    return await fn();
  } finally {
    delete process.env.NOISY_STORE_URL;
  }
}

describe('noisy run conventions', () => {
  let dir = '';
  let store = '';
  const runs: Array<{ runId: string; out: string; err: string }> = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conv-'));
    store = join(dir, 'store');
    await writeFile(join(dir, 'exp.yaml'), yaml);
    for (const extra of [
      ['--set', 'train.steps=40', '--set', 'students.0.train.unlabelRatio=2'],
      ['--set', 'seed=4'],
    ]) {
      const io = captured();
      const s = join(dir, `s${runs.length}.json`);
      const code = await withStoreEnv(store, () =>
        main(['run', join(dir, 'exp.yaml'), '--offline', '--summary', s, ...extra], io),
      );
      expect(code, io.errText).toBe(0);
      runs.push({ runId: JSON.parse(await readFile(s, 'utf8')).runId, out: io.text, err: io.errText });
    }
  }, 300_000);

  it('noisy run --set - overrides are printed and recorded in the compiled experiment stored with the run', async () => {
    expect(runs[0].err).toMatch(/overrides train\.steps=40, students\.0\.train\.unlabelRatio=2/);
    const rec = JSON.parse(await readFile(join(store, 'runs', runs[0].runId, 'experiment.json'), 'utf8'));
    expect(rec.experiment.stages.map((s: { train: { steps: number } }) => s.train.steps)).toEqual([40, 40]);
    expect(rec.experiment.stages[1].train.unlabelRatio).toBe(2);
    const plain = JSON.parse(await readFile(join(store, 'runs', runs[1].runId, 'experiment.json'), 'utf8'));
    expect(plain.experiment.seed).toBe(4);
    expect(plain.experiment.stages[0].train.steps).toBeNull();
    expect(runs[0].runId).not.toBe(runs[1].runId); // the run id hashes the compiled experiment
  });

  it('noisy run --set - a bad override fails before the run, naming the field, with exit code 2', async () => {
    const io = captured();
    expect(await main(['run', join(dir, 'exp.yaml'), '--store', store, '--set', 'train.steps=-3'], io)).toBe(2);
    expect(io.errText).toMatch(/exp\.yaml: train\.steps/);
  });

  it('noisy run <run>/experiment.yaml - runs the stored experiment again (the same run: it resumes); the record is not a file to run', async () => {
    const saved = join(store, 'runs', runs[0].runId, 'experiment.yaml');
    const text = await readFile(saved, 'utf8');
    expect(text).toMatch(/^# The experiment of run /);
    expect(text).toMatch(/steps: 40/); // the --set overrides are in it
    const again = captured();
    expect(await main(['run', saved, '--store', store, '--offline'], again), again.errText).toBe(0);
    expect(again.errText).toContain(`noisy: run ${runs[0].runId}\n`);
    expect(again.errText).toMatch(/already finished in this store/);
    const record = captured();
    const json = join(store, 'runs', runs[0].runId, 'experiment.json');
    expect(await main(['run', json, '--store', store], record)).toBe(2);
    expect(record.errText).toMatch(/is a run's record, not an experiment file: run .*experiment\.yaml/);
  });

  it('noisy run --print-config - prints the compiled experiment with its defaults and overrides; runs nothing', async () => {
    const io = captured();
    const empty = join(dir, 'no-store');
    expect(
      await main(['run', join(dir, 'exp.yaml'), '--print-config', '--set', 'train.steps=7', '--store', empty], io),
    ).toBe(0);
    const printed = parseYaml(io.text) as { stages: Array<{ train: { steps: number; emaDecay: number } }> };
    expect(printed.stages.map((st) => st.train.steps)).toEqual([7, 7]);
    expect(printed.stages[0].train.emaDecay).toBe(0.9999); // a default the file does not give
    await expect(readFile(join(empty, 'runs'))).rejects.toThrow(/ENOENT/);
  });

  it('noisy status and watch - a finished local run, without a controller: its generations and the best on dev', async () => {
    const io = captured();
    expect(await main(['status', runs[0].runId, '--store', store, '--json'], io)).toBe(0);
    const st = JSON.parse(io.text);
    const summary = JSON.parse(await readFile(join(store, 'runs', runs[0].runId, 'summary.json'), 'utf8'));
    expect(st).toMatchObject({ runId: runs[0].runId, state: 'finished', best: null });
    expect(st.generations.map((g: { top1: number }) => g.top1)).toEqual(
      summary.generations.map((g: { top1: number }) => g.top1),
    );
    expect(st.committed).toBeGreaterThan(5);
    const watch = captured();
    expect(await main(['watch', runs[0].runId, '--store', store], watch)).toBe(0);
    expect(watch.text).toMatch(new RegExp(`^${runs[0].runId}: finished; \\d+ steps committed`));
  });

  it('NOISY_STORE_URL - the run went to that store, and noisy runs reads it without --store', async () => {
    expect(runs[0].out).toContain(`summary: ${join(store, 'runs', runs[0].runId, 'summary.json')}`);
    const io = captured();
    expect(await withStoreEnv(store, () => main(['runs', '--json'], io))).toBe(0);
    const listed = JSON.parse(io.text) as Array<Record<string, unknown>>;
    expect(listed.map((r) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
    // numbers as numbers: the last generation's top-1 as its summary has it, generations counted
    for (const r of listed) {
      const summary = JSON.parse(await readFile(join(store, 'runs', String(r.runId), 'summary.json'), 'utf8'));
      expect(r).toMatchObject({ state: 'finished', evaluated: 2, generations: 2 });
      expect(r.top1).toBe(summary.generations.at(-1).top1);
    }
  });

  it('noisy predict --model - takes the model path that noisy run printed, and the store key', async () => {
    const printed = /model:\s+(\S+)/.exec(runs[0].out)![1];
    expect(printed).toMatch(new RegExp(`runs/${runs[0].runId}/gen-1/model$`));
    const folder = join(dir, 'imgs');
    await mkdir(folder, { recursive: true });
    const src = openSynthetic({ classes: 3, size: 10, channels: 1, train: 0, test: 4, seed: 3 });
    for (let i = 0; i < 4; i++) await writeFile(join(folder, `i${i}.png`), encodePng((await src.test.get(i)).image!));
    const byPath = join(dir, 'by-path.csv');
    const byKey = join(dir, 'by-key.csv');
    // The path works from anywhere, whatever --store says; the key needs the store.
    expect(await main(['predict', '--model', printed, '--input', folder, '--out', byPath], quietIo())).toBe(0);
    expect(
      await main(
        [
          'predict',
          '--model',
          `runs/${runs[0].runId}/gen-1/model`,
          '--input',
          folder,
          '--out',
          byKey,
          '--store',
          store,
        ],
        quietIo(),
      ),
    ).toBe(0);
    const rows = (await readFile(byPath, 'utf8')).trim().split('\n');
    expect(rows).toHaveLength(5);
    expect(await readFile(byPath, 'utf8')).toBe(await readFile(byKey, 'utf8'));
    // A copy of the folder under another name, elsewhere (docs/cli.md invites `cp -r`), predicts the same.
    const copy = join(dir, 'elsewhere', 'mymodel');
    await cp(printed, copy, { recursive: true });
    const byCopy = join(dir, 'by-copy.csv');
    expect(await main(['predict', '--model', copy, '--input', folder, '--out', byCopy], quietIo())).toBe(0);
    expect(await readFile(byCopy, 'utf8')).toBe(await readFile(byPath, 'utf8'));
    // A copy without its attempt folder names what is missing.
    const bare = join(dir, 'elsewhere', 'bare');
    await mkdir(bare, { recursive: true });
    await cp(join(printed, 'manifest.json'), join(bare, 'manifest.json'));
    const err = captured();
    expect(await main(['predict', '--model', bare, '--input', folder, '--out', join(dir, 'x.csv')], err)).toBe(2);
    expect(err.errText).toMatch(/which is not in this folder .*copy the whole model folder/);
  });

  it('noisy runs --compare - the generations of several runs side by side, top-1 / top-5 from their summaries', async () => {
    const io = captured();
    expect(await main(['runs', '--store', store, '--compare', runs[0].runId, runs[1].runId], io)).toBe(0);
    const rows = io.text
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));
    expect(rows[0]).toEqual(['gen', 'role', runs[0].runId, runs[1].runId]);
    const summaries = await Promise.all(
      [0, 1].map(async (i) => JSON.parse(await readFile(join(dir, `s${i}.json`), 'utf8'))),
    );
    const cell = (g: { top1: number; top5: number }) => `${(100 * g.top1).toFixed(2)}% / ${(100 * g.top5).toFixed(2)}%`;
    expect(rows.slice(2, 4)).toEqual(
      [0, 1].map((g) => [String(g), g ? 'student' : 'teacher', ...summaries.map((s) => cell(s.generations[g]))]),
    );
    expect(io.text).toMatch(/cells: top-1 \/ top-5/);
    const json = captured();
    expect(await main(['runs', '--store', store, '--compare', runs[1].runId, '--json'], json)).toBe(0);
    expect(JSON.parse(json.text)[0].generations.map((g: { top1: number }) => g.top1)).toEqual(
      summaries[1].generations.map((g: { top1: number }) => g.top1),
    );
    const missing = captured();
    expect(await main(['runs', '--store', store, '--compare', 'nope'], missing)).toBe(2);
    expect(missing.errText).toMatch(/--compare: run 'nope' has no summary/);
  });
});
