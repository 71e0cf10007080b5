import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng, openSynthetic } from '@noisy/data';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';
import { usersExperiment } from './user-experiment.js';

const quiet = quietIo;

const yaml = usersExperiment;

describe('noisy predict and export', () => {
  let dir = '';
  let runId = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'users-'));
    await writeFile(join(dir, 'exp.yaml'), yaml);
    expect(
      await main(
        ['run', join(dir, 'exp.yaml'), '--store', join(dir, 'store'), '--offline', '--summary', join(dir, 's.json')],
        quiet(),
      ),
    ).toBe(0);
    runId = JSON.parse(await readFile(join(dir, 's.json'), 'utf8')).runId;
  }, 300_000);

  it('noisy export - the filtered set has one row per kept example with copies and its class threshold', async () => {
    const out = join(dir, 'set.csv');
    expect(
      await main(['export', runId, '--generation', '1', '--out', out, '--store', join(dir, 'store')], quiet()),
    ).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('id,teacherClass,className,confidence,copies,threshold,shard');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThan(10);
    const ids = rows.map((r) => r[0]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of rows) {
      expect(Number(r[3])).toBeGreaterThanOrEqual(Number(r[5])); // confidence >= its class threshold
      expect(Number(r[4])).toBeGreaterThanOrEqual(1);
    }
  });

  it('noisy export --label-issues - lists contradicted labeled examples as JSON lines, most confident first', async () => {
    const out = join(dir, 'issues.jsonl');
    expect(
      await main(
        [
          'export',
          '--run', // the alias of the positional run id
          runId,
          '--generation',
          '1',
          '--out',
          out,
          '--label-issues',
          '--min-confidence',
          '0',
          '--store',
          join(dir, 'store'),
        ],
        quiet(),
      ),
    ).toBe(0);
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    for (const r of rows) expect(r.predictedClass).not.toBe(r.givenClass);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1].confidence).toBeGreaterThanOrEqual(rows[i].confidence);
  });

  it('noisy predict - a folder of PNGs gets top-k classes per image, matching their classes', async () => {
    const folder = join(dir, 'mine');
    await mkdir(join(folder, 'sub'), { recursive: true });
    const src = openSynthetic({ classes: 3, size: 10, channels: 1, train: 0, test: 12, seed: 2 });
    const truth: Record<string, number> = {};
    for (let i = 0; i < 12; i++) {
      const s = await src.test.get(i);
      const name = `${i % 2 ? 'sub/' : ''}img-${i}.png`;
      await writeFile(join(folder, name), encodePng(s.image!));
      truth[name] = s.label!;
    }
    const out = join(dir, 'preds.jsonl');
    const model = `runs/${runId}/gen-1/model`;
    expect(
      await main(
        ['predict', '--model', model, '--input', folder, '--out', out, '--top-k', '2', '--store', join(dir, 'store')],
        quiet(),
      ),
    ).toBe(0);
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(12);
    expect(Object.keys(rows[0])).toEqual(['id', 'class1', 'prob1', 'class2', 'prob2']);
    const correct = rows.filter((r) => r.class1 === `class-${truth[r.id]}`).length;
    expect(correct).toBeGreaterThan(6); // chance is 4 of 12
  });

  it('noisy export --model --format tfjs - plain @tensorflow/tfjs in another process predicts what noisy predict does', async () => {
    const folder = join(dir, 'export-images');
    await mkdir(folder, { recursive: true });
    const src = openSynthetic({ classes: 3, size: 10, channels: 1, train: 0, test: 5, seed: 4 });
    for (let i = 0; i < 5; i++)
      await writeFile(join(folder, `img-${i}.png`), encodePng((await src.test.get(i)).image!));
    const store = join(dir, 'store');
    const model = join(store, 'runs', runId, 'gen-1', 'model'); // a folder on disk, as noisy run prints it
    const out = join(dir, 'stock');
    expect(await main(['export', '--model', model, '--format', 'tfjs', '--out', out], quiet())).toBe(0);
    const preds = join(dir, 'export-preds.jsonl');
    expect(await main(['predict', '--model', model, '--input', folder, '--out', preds, '--top-k', '3'], quiet())).toBe(
      0,
    );
    const expected = (await readFile(preds, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string | number>);
    // Stock tfjs only: no @noisy import, no custom layer registered; pixels straight from the PNGs.
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { PNG } from 'pngjs';
      import { readFileSync } from 'node:fs';
      const [dir, images] = process.argv.slice(1);
      const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));
      const w = readFileSync(dir + '/weights.bin');
      const model = await tf.loadLayersModel({ load: async () => ({ modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) }) });
      const out = {};
      for (let i = 0; i < 5; i++) {
        const png = PNG.sync.read(readFileSync(images + '/img-' + i + '.png'));
        const grey = Float32Array.from({ length: png.width * png.height }, (_, p) => png.data[p * 4]);
        out['img-' + i + '.png'] = Array.from(model.predict(tf.tensor4d(grey, [1, png.height, png.width, 1])).dataSync());
      }
      console.log(JSON.stringify({ classNames: json.userDefinedMetadata.classNames, out }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, out, folder]);
    const stock = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      classNames: string[];
      out: Record<string, number[]>;
    };
    expect(Object.keys(stock.out)).toHaveLength(5);
    for (const row of expected) {
      const probs = stock.out[row.id as string];
      for (const k of [1, 2, 3]) {
        const c = stock.classNames.indexOf(row[`class${k}`] as string);
        expect(Math.abs(probs[c] - (row[`prob${k}`] as number))).toBeLessThan(1e-4);
      }
    }
  });

  it('noisy predict - bad output names and missing inputs are named errors', async () => {
    const err: string[] = [];
    const io = {
      ...quiet(),
      err: (s: string) => {
        err.push(s);
      },
    };
    expect(
      await main(
        [
          'predict',
          '--model',
          `runs/${runId}/gen-1/model`,
          '--input',
          join(dir, 'nope'),
          '--out',
          join(dir, 'p.txt'),
          '--store',
          join(dir, 'store'),
        ],
        io,
      ),
    ).toBe(2);
    expect(err.join('')).toMatch(/--out: .*p.txt' must end in .csv or .jsonl/);
    expect(
      await main(
        [
          'predict',
          '--model',
          'runs/none/gen-1/model',
          '--input',
          dir,
          '--out',
          join(dir, 'p.csv'),
          '--store',
          join(dir, 'store'),
        ],
        io,
      ),
    ).toBe(2);
    expect(err.join('')).toMatch(/runs\/none\/gen-1\/model\/manifest.json: no committed checkpoint here/);
  });
});
