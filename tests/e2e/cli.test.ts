import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../tools/cli/src/commands/io.js';
import { main } from '../../tools/cli/src/main.js';

function capture(): CommandIo & { stdout: string; stderrText: string } {
  const io = {
    stdout: '',
    stderrText: '',
    out: (s: string) => {
      io.stdout += s;
    },
    err: (s: string) => {
      io.stderrText += s;
    },
    stderr: {
      write: (s: string) => {
        io.stderrText += s;
        return true;
      },
      isTTY: false,
    } as unknown as NodeJS.WriteStream,
  };
  return io;
}

const tiny = `
name: cli-tiny
seed: 1
data:
  source: { kind: synthetic, classes: 3, size: 10, train: 120, test: 60 }
  labeledPerClass: 8
  unlabeledShards: 2
train: { epochs: 15, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: { layers: 1, magnitude: 2, extraCutout: false }, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students:
  - model: { name: cnn-small, width: 0.5 }
    train: { unlabelRatio: 1 }
`;

async function runWith(yaml: string, extra: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'cli-'));
  await writeFile(join(dir, 'exp.yaml'), yaml);
  const io = capture();
  const code = await main(['run', join(dir, 'exp.yaml'), '--store', join(dir, 'store'), '--offline', ...extra], io);
  return { code, io, dir };
}

describe('noisy cli', () => {
  it('noisy run - an unknown key is rejected with its path and exit code 2', async () => {
    const { code, io } = await runWith(
      tiny.replace('teacher: { model: { name: cnn-small, width: 0.5 } }', 'teacher: { modle: { name: cnn-small } }'),
    );
    expect(code).toBe(2);
    expect(io.stderrText).toMatch(/teacher: Unrecognized key.*modle/);
  });

  it('noisy run - bad values name their field: negative unlabel_ratio, unknown model', async () => {
    const neg = await runWith(tiny.replace('unlabelRatio: 1', 'unlabelRatio: -1'));
    expect(neg.code).toBe(2);
    expect(neg.io.stderrText).toMatch(/students\.0\.train\.unlabelRatio/);
    const model = await runWith(
      tiny.replace('{ name: cnn-small, width: 0.5 } }\nstudents', '{ name: resnet-9 } }\nstudents'),
    );
    expect(model.code).toBe(2);
    expect(model.io.stderrText).toMatch(/teacher\.model\.name: unknown model 'resnet-9'/);
  });

  it('noisy run - too many labels per class and missing dataset files fail before any step looks finished', async () => {
    const many = await runWith(tiny.replace('labeledPerClass: 8', 'labeledPerClass: 500'));
    expect(many.code).toBe(2);
    expect(many.io.stderrText).toMatch(
      /data\.labeledPerClass: asks 500 labeled examples per class but class 'class-0' has only 40/,
    );
    const missing = await runWith(
      tiny.replace(
        '{ kind: synthetic, classes: 3, size: 10, train: 120, test: 60 }',
        '{ kind: idx, trainImages: nope-images.gz, trainLabels: nope-labels.gz, testImages: a, testLabels: b }',
      ),
    );
    expect(missing.code).toBe(2);
    expect(missing.io.stderrText).toMatch(/nope-images\.gz: cannot read IDX file: ENOENT/);
    const runs = await readdir(join(missing.dir, 'store', 'runs'));
    const files = await readdir(join(missing.dir, 'store', 'runs', runs[0]));
    // No manifest, no summary: the run record, its runnable experiment and the failed task's failure marker.
    expect(files.sort()).toEqual(['experiment.json', 'experiment.yaml', 'failures']); // no manifest, no summary
    // noisy status (no controller) reads it from the store: failed, naming the task and the file.
    const status = capture();
    expect(await main(['status', runs[0], '--store', join(missing.dir, 'store'), '--json'], status)).toBe(0);
    const st = JSON.parse(status.stdout);
    expect(st).toMatchObject({ runId: runs[0], state: 'failed', committed: 0, generations: [] });
    expect(st.message).toMatch(/task \S+:0:ingest\S* failed: .*nope-images\.gz/);
    const watch = capture();
    expect(await main(['watch', runs[0], '--store', join(missing.dir, 'store')], watch)).toBe(1);
    expect(watch.stdout).toMatch(/: failed \(task /);
  });

  it('noisy run - an unusable work directory is named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    await writeFile(join(dir, 'a-file'), 'x');
    await writeFile(join(dir, 'exp.yaml'), tiny);
    const io = capture();
    expect(await main(['run', join(dir, 'exp.yaml'), '--store', join(dir, 'a-file', 'store')], io)).toBe(2);
    expect(io.stderrText).toMatch(/--store: work directory .*a-file\/store is not readable and writable/);
  });

  it('noisy run - a tiny experiment ends with the table, summary.json and a --summary copy; noisy runs lists it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const { code, io } = await runWith(tiny, ['--summary', join(dir, 's.json')]);
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/gen\s+role\s+model\s+dev top-1\s+top-1/);
    const s = JSON.parse(await readFile(join(dir, 's.json'), 'utf8'));
    expect(s).toMatchObject({ runId: expect.stringMatching(/^cli-tiny-/), dataset: 'synthetic' });
    expect(s.generations.map((g: { role: string }) => g.role)).toEqual(['teacher', 'student']);
    for (const g of s.generations) {
      // Both generations measured 1.0 on the 60 test examples (chance 1/3); a model that learned
      // nothing, or a table that printed the wrong column, falls far below 0.9.
      expect(g.top1).toBeGreaterThan(0.9);
      expect(g.top1).toBeLessThanOrEqual(1);
      expect(Object.keys(g)).toEqual(
        expect.arrayContaining(['generation', 'role', 'model', 'top1', 'top5', 'pseudoLabeled', 'seconds']),
      );
    }
  });

  it('noisy - unknown commands and flags print usage with exit code 2', async () => {
    const io = capture();
    expect(await main(['fly'], io)).toBe(2);
    expect(io.stderrText).toMatch(/unknown command 'fly'/);
    expect(await main(['run', 'x.yaml', '--bogus'], capture())).toBe(2);
  });

  it('noisy run - Ctrl-C stops the run saying how to resume (exit 130, no FAILED); the rerun says it resumes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    await writeFile(join(dir, 'exp.yaml'), tiny);
    const root = join(import.meta.dirname, '..', '..');
    const noisy = (onStart?: (interrupt: () => void) => void) =>
      new Promise<{ code: number | null; err: string }>((done) => {
        const child = spawn(
          process.execPath,
          [
            join(root, 'tools/cli/bin/noisy.js'),
            'run',
            join(dir, 'exp.yaml'),
            '--store',
            join(dir, 'store'),
            '--offline',
          ],
          { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
        });
        onStart?.(() => child.kill('SIGINT'));
        child.on('exit', (code) => done({ code, err }));
      });
    // Interrupted (a user's Ctrl-C) once the teacher's evaluation is committed; its TensorBoard
    // curve must be on disk by then (written while the run goes on, not after it).
    const runDir = async () => {
      const runs = await readdir(join(dir, 'store', 'runs')).catch((): string[] => []);
      return runs.length ? join(dir, 'store', 'runs', runs[0]) : null;
    };
    const evaluated = async () => {
      const d = await runDir();
      return (
        d !== null && (await readdir(join(d, 'gen-0', 'eval')).catch((): string[] => [])).includes('manifest.json')
      );
    };
    const tensorboard = async () => readdir(join((await runDir())!, 'tensorboard', 'gen-0')).catch(() => []);
    let sent = false;
    let poll: NodeJS.Timeout | undefined;
    const first = await noisy((interrupt) => {
      poll = setInterval(() => {
        void evaluated().then((done) => {
          if (done && !sent) {
            sent = true;
            interrupt();
          }
        });
      }, 50);
    });
    clearInterval(poll);
    expect(sent).toBe(true);
    expect((await tensorboard())[0]).toMatch(/^events\.out\.tfevents\./);
    expect(first.code, first.err).toBe(130);
    expect(first.err).toMatch(/interrupted: run \S+ stopped; its committed steps are kept: run the same command again/);
    expect(first.err).not.toMatch(/FAILED/);
    const second = await noisy();
    expect(second.code, second.err).toBe(0);
    const resumed = /resuming run (\S+): (\d+) committed step\(s\) are kept/.exec(second.err);
    expect(resumed, second.err).not.toBeNull();
    expect(Number(resumed![2])).toBeGreaterThanOrEqual(2); // at least the teacher's model and evaluation
    expect(first.err).toContain(`run ${resumed![1]}`);
  }, 180_000);

  it('noisy run - with a dev split the model line and runs/<id>/best name the generation best on dev', async () => {
    const { code, io, dir } = await runWith(tiny, ['--set', 'data.dev=15']);
    expect(code, io.stderrText).toBe(0);
    const runId = /noisy: run (\S+)/.exec(io.stderrText)![1];
    const summary = JSON.parse(await readFile(join(dir, 'store', 'runs', runId, 'summary.json'), 'utf8'));
    // chosen independently of the code: highest dev top-1, the later one on a tie
    const devs: number[] = summary.generations.map((g: { dev: { top1: number } }) => g.dev.top1);
    const best = devs.lastIndexOf(Math.max(...devs));
    expect(summary.best).toBe(best);
    expect(io.stdout).toMatch(new RegExp(`model: +\\S+/gen-${best}/model  \\(generation ${best}, best dev top-1\\)`));
    const evalOf = async (model: string) => {
      const out = capture();
      const args = ['--data', join(dir, 'exp.yaml'), '--store', join(dir, 'store'), '--json', '--offline'];
      expect(await main(['eval', '--model', model, ...args], out), out.stderrText).toBe(0);
      return out.stdout;
    };
    expect(await evalOf(`runs/${runId}/best`)).toBe(await evalOf(`runs/${runId}/gen-${best}/model`));
  });

  it('noisy report and export - a run id the store does not have is named as such (exit code 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    for (const argv of [
      ['report', 'nope', '--store', dir],
      ['export', 'nope', '--generation', '1', '--out', join(dir, 'kept.csv'), '--store', dir],
    ]) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderrText).toMatch(new RegExp(`no such run 'nope' in ${dir}; noisy runs --store`));
    }
  });

  it("noisy - each command accepts only its own flags: another command's flag is an error", async () => {
    for (const argv of [
      ['runs', '--top-k', '5'],
      ['report', 'r1', '--generation', '1'],
      ['cancel', 'r1', '--controller', '127.0.0.1:1', '--store', 'x'],
    ]) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderrText).toMatch(/^noisy: unknown option '--(top-k|generation|store)'/);
    }
    const extra = capture();
    expect(await main(['run', 'a.yaml', 'b.yaml'], extra)).toBe(2);
    expect(extra.stderrText).toMatch(/too many arguments/);
  });

  it('noisy - numbers are validated and the error names the flag, before any work', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['predict', '--model', 'm', '--input', 'i', '--out', 'o.csv', '--top-k', 'abc'],
        /'--top-k <n>' argument 'abc' is invalid/,
      ],
      [['predict', '--model', 'm', '--input', 'i', '--out', 'o.csv', '--batch', '0'], /'--batch <n>' argument '0'/],
      [
        ['export', 'r1', '--generation', '1', '--out', 'o.csv', '--min-confidence', 'x'],
        /'--min-confidence <p>' argument 'x'/,
      ],
      [['export', 'r1', '--generation', '1.5', '--out', 'o.csv'], /'--generation <g>' argument '1\.5'/],
      [['eval', '--model', 'm', '--data', 'd', '--limit', '-1'], /'--limit <n>' argument '-1'/],
      [['run', 'x.yaml', '--seeds', '1,x'], /'--seeds <list>' argument '1,x'/],
      [['status', 'r1', '--controller', '127.0.0.1:1', '--tls-ca', '/nonexistent.pem'], /NOISY_TLS_CA: cannot read/],
      [['run', 'x.yaml', '--backend', 'gpu'], /'--backend <name>' argument 'gpu' is invalid. Allowed choices are auto/],
    ];
    for (const [argv, error] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderrText).toMatch(error);
    }
  });

  it('noisy run --seeds / --control - --control needs --seeds; --seeds runs embedded only (exit 2)', async () => {
    const io = capture();
    expect(await main(['run', 'x.yaml', '--control'], io)).toBe(2);
    expect(io.stderrText).toMatch(/--control: needs --seeds/);
    expect(await main(['run', 'x.yaml', '--seeds', '0,1', '--controller', '127.0.0.1:1'], io)).toBe(2);
    expect(io.stderrText).toMatch(/--controller: not with --seeds/);
  });

  it('noisy --help, <command> --help and --version print to stdout with exit code 0', async () => {
    const version = capture();
    expect(await main(['--version'], version)).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = capture();
    expect(await main(['--help'], help)).toBe(0);
    for (const c of [
      'run',
      'status',
      'watch',
      'cancel',
      'runs',
      'dev',
      'predict',
      'export',
      'report',
      'eval',
      'schema',
    ])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${c}\\b`));
    const flags: Record<string, string[]> = {
      run: ['--set <path=value>', '--store <url>', '--controller <host:port>', '--seeds <list>'],
      predict: ['--model <key|path>', '--top-k <n>'],
      export: ['--generation <g>', '--min-confidence <p>'],
      runs: ['--compare <run-ids...>'],
      cancel: ['<run-id>'],
    };
    for (const [c, expected] of Object.entries(flags)) {
      const io = capture();
      expect(await main([c, '--help'], io)).toBe(0);
      expect(io.stdout).toMatch(new RegExp(`^Usage: noisy ${c} `));
      for (const f of expected) expect(io.stdout).toContain(f);
    }
    const none = capture();
    expect(await main([], none)).toBe(2); // no command: usage, and a failing exit for scripts
    expect(none.stdout).toMatch(/^Usage: noisy/);
  });

  it('noisy schema - prints the JSON Schema of the experiment file', async () => {
    const io = capture();
    expect(await main(['schema'], io)).toBe(0);
    const schema = JSON.parse(io.stdout);
    expect(schema.properties.students.type).toBe('array');
    expect(schema.properties.train.properties.steps.anyOf).toEqual(expect.arrayContaining([{ type: 'null' }]));
  });
});
