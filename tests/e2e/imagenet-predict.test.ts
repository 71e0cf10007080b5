// Models trained on encoded pictures, used from the CLI: `noisy predict` sees each picture as
// evaluation does (padded center crop, bicubic resize to the model's resolution), so its
// probabilities equal the evaluate stage's for the same pictures (and so do the inference
// service's predictions); `noisy export --label-issues`
// trains its folds through the input pool and predicts the held-out fold the same way. The run's
// progress and summary say how long training waited for input.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runKeys } from '@noisy/contracts';
import { computeMetrics } from '@noisy/ml';
import { FileObjectStore } from '@noisy/platform';
import {
  checkpointPrefix,
  loadRunView,
  ModelCache,
  predictImages,
  readManifest,
  type RunSummary,
} from '@noisy/pipeline';
import { main } from '../../tools/cli/src/main.js';
import { recordingIo } from '../../tools/cli/src/test-io.js';
import { generateImageNetLike } from '../../tools/imagenet-gen/src/generate.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const C = 6;

describe('imagenet-predict', () => {
  it('noisy predict and label issues - encoded pictures get the evaluation crop; predict equals evaluate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inet-predict-'));
    dirs.push(dir);
    const gen = await generateImageNetLike({
      dir: join(dir, 'data'),
      classes: C,
      trainPerClass: 8,
      validationPerClass: 3,
      trainShards: 1,
      sides: [60, 110],
      seed: 11,
    });
    const experiment = {
      name: 'inet-predict',
      seed: 2,
      data: { source: { kind: 'tfrecord', dir: join(dir, 'data') }, labeledPerClass: 4, unlabeledShards: 1 },
      train: { batchSize: 8, randAugment: null, padCrop: false },
      teacher: { model: { name: 'cnn-small', width: 0.25, resolution: 24 }, train: { steps: 6 } },
      // The student's resolution differs from the teacher's: predict must crop at the model's own.
      students: [{ model: { name: 'cnn-small', width: 0.25, resolution: 28 }, train: { steps: 4, unlabelRatio: 1 } }],
      filter: { minThreshold: 0.01, mode: 'balanced' },
    };
    await writeFile(join(dir, 'exp.yaml'), stringify(experiment));
    const storeDir = join(dir, 'store');
    const io = recordingIo();
    const summaryFile = join(dir, 'summary.json');
    const code = await main(
      ['run', join(dir, 'exp.yaml'), '--store', storeDir, '--offline', '--summary', summaryFile],
      io,
    );
    expect(code, io.text()).toBe(0);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as RunSummary;

    // Input wait: in the progress of training and in the summary of every generation.
    // The teacher's 6 steps are 2 epochs of 3 (24 labeled, batch 8): a line for each.
    expect(io.text()).toMatch(/gen 0 train: epoch 1 loss \d+\.\d+, input wait \d+\.\ds \(\d+%\)\n/);
    expect(io.text()).toMatch(/gen 0 train: epoch 2 loss \d+\.\d+, input wait \d+\.\ds \(\d+%\)\n/);
    for (const g of [0, 1])
      expect(io.text()).toMatch(new RegExp(`gen ${g} train 100% step .* img/s, input wait \\d+\\.\\ds \\(\\d+%\\)`));
    for (const g of summary.generations) {
      expect(g.inputWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(g.inputWaitFraction).toBeGreaterThanOrEqual(0);
      expect(g.inputWaitFraction).toBeLessThanOrEqual(1);
    }

    // Evaluate's probabilities: the function the evaluate stage runs, checked against its manifest.
    const store = new FileObjectStore(storeDir);
    const run = await loadRunView(store, summary.runId);
    const models = new ModelCache();
    const { model, meta } = await models.generation(store, summary.runId, 1);
    expect(meta.input.pictures).toBe('encoded');
    expect(meta.input.shape).toEqual([28, 28, 3]);
    const samples = [];
    const parts: Float32Array[] = [];
    for (const part of run.info.test) {
      const s = await run.samples(part);
      parts.push(await run.probabilities(model, s, part.key, 256, undefined, meta.input.stats));
      samples.push(...s);
    }
    const evalProbs = new Float32Array(samples.length * C); // [N, C]
    parts.reduce((at, p) => (evalProbs.set(p, at), at + p.length), 0);
    // The inference service's Predict takes the same crop.
    const served = await predictImages(
      store,
      await checkpointPrefix(store, summary.runId, 1),
      samples.slice(0, 3).map((s) => s.encoded!),
      C,
      models,
    );
    served.forEach((top, i) =>
      top.classes.forEach((name, j) =>
        expect(top.probabilities[j]).toBeCloseTo(evalProbs[i * C + meta.input.classNames.indexOf(name)], 5),
      ),
    );
    models.clear();
    const labels = Int32Array.from(samples, (s) => s.label!);
    const evaluation = await readManifest(store, runKeys.evalManifest(summary.runId, 1), 'evaluation');
    expect(computeMetrics(evalProbs, labels, C).top1).toBe(evaluation.data.top1);

    // noisy eval on the experiment's data: the evaluate step's numbers.
    const evalIo = recordingIo();
    const evalArgs = ['--data', join(dir, 'exp.yaml'), '--json', '--offline', '--store', storeDir];
    expect(await main(['eval', '--model', runKeys.model(summary.runId, 1), ...evalArgs], evalIo), evalIo.text()).toBe(
      0,
    );
    const evalJson = JSON.parse(evalIo.text().slice(evalIo.text().indexOf('{'))) as { top1: number; ece: number };
    expect(evalJson.top1).toBe(evaluation.data.top1);
    expect(evalJson.ece).toBeCloseTo(evaluation.data.ece, 6);

    // noisy predict on the validation file as the user has it, every class's probability.
    expect(gen.validation.records).toBe(samples.length);
    const predIo = recordingIo();
    const preds = join(dir, 'preds.jsonl');
    const predArgs = ['--input', gen.validation.files[0], '--out', preds, '--top-k', String(C), '--store', storeDir];
    expect(
      await main(['predict', '--model', runKeys.model(summary.runId, 1), ...predArgs], predIo),
      predIo.text(),
    ).toBe(0);
    const rows = (await readFile(preds, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string | number>);
    expect(rows).toHaveLength(samples.length);
    rows.forEach((r, i) => {
      for (let j = 1; j <= C; j++) {
        const c = meta.input.classNames.indexOf(String(r[`class${j}`]));
        expect(c).toBeGreaterThanOrEqual(0);
        expect(r[`prob${j}`] as number).toBeCloseTo(evalProbs[i * C + c], 5);
      }
    });

    // Label issues of the student generation: folds train on encoded pictures (and the stored
    // pseudo-labeled pictures) and predict every labeled picture out of sample.
    const issuesIo = recordingIo();
    const predProbs = join(dir, 'pred_probs.csv');
    const issuesArgs = ['--generation', '1', '--label-issues', '--folds', '2', '--pred-probs', predProbs];
    expect(
      await main(
        ['export', summary.runId, ...issuesArgs, '--out', join(dir, 'issues.csv'), '--store', storeDir],
        issuesIo,
      ),
      issuesIo.text(),
    ).toBe(0);
    const lines = (await readFile(predProbs, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe(['id', 'label', ...Array.from({ length: C }, (_, j) => `p_${j}`)].join(','));
    expect(lines).toHaveLength(1 + C * 4);
    for (const l of lines.slice(1)) {
      const p = l.split(',').slice(2).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    }
  }, 300_000);
});
