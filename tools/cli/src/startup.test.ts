// `noisy --version`, `--help` and `schema` answer without loading TensorFlow.js (seconds of
// startup): commands are imported when they run. tfjs announces itself with a global engine
// (`_tfengine`), so a child process that ran the command tells whether it was loaded.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function loadsTfjs(args: string[]): { out: string; tfjs: boolean } {
  const script = `
    import { main } from './tools/cli/src/main.ts';
    let out = '';
    const io = { out: (s) => { out += s; }, err: (s) => { out += s; } };
    await main(${JSON.stringify(args)}, io);
    process.stdout.write(JSON.stringify({ out, tfjs: '_tfengine' in globalThis }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { out: string; tfjs: boolean };
}

describe('cli startup', () => {
  it('noisy --version, --help and schema - answer without loading TensorFlow.js; a computing command loads it', () => {
    expect(loadsTfjs(['--version'])).toEqual({ out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/), tfjs: false });
    expect(loadsTfjs(['--help']).tfjs).toBe(false);
    expect(loadsTfjs(['run', '--help']).tfjs).toBe(false);
    const schema = loadsTfjs(['schema']);
    expect(schema.tfjs).toBe(false);
    expect(JSON.parse(schema.out)).toHaveProperty('properties');
    // the control: a command that computes (here one that fails on a missing file) loads it
    expect(
      loadsTfjs(['eval', '--model', 'nowhere', '--data', 'fashion-mnist', '--store', ROOT + '/test-output/none']).tfjs,
    ).toBe(true);
  }, 120_000);
});
