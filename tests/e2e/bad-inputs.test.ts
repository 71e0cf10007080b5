// Iterates tests/bad-inputs: every malformed input must fail with a non-zero exit, an error that
// matches the case's pattern (naming the input and the problem), and nothing committed: no
// manifest or summary in the store and no output file.
import { cp, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../tools/cli/src/main.js';

const corpus = resolve(import.meta.dirname, '../bad-inputs');
const names = (await readdir(corpus, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Manifests and summaries under `dir` (none when it does not exist; any other read error fails). */
async function committed(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/(^|\/)(manifest|summary)\.json$/.test(p)) found.push(p);
    }
  };
  await walk(dir);
  return found;
}

describe('bad-input corpus', () => {
  it('has at least 20 cases', () => expect(names.length).toBeGreaterThanOrEqual(20));

  it.each(names)('%s: fails naming the input and the problem, commits nothing', async (name) => {
    const c = parse(await readFile(join(corpus, name, 'case.yaml'), 'utf8')) as {
      what: string;
      command: string[];
      error: string;
    };
    const dir = await mkdtemp(join(tmpdir(), `bad-${name}-`));
    await cp(join(corpus, name), dir, { recursive: true });
    // Paths are relative to the case folder; the value of --model is a key inside the store.
    const args = c.command.map((a, i) =>
      i === 0 || a.startsWith('--') || c.command[i - 1] === '--model' ? a : resolve(dir, a),
    );
    if (c.command[0] === 'run') args.push('--store', join(dir, 'run-store'));
    // The store the command writes to: a case's own (predict and export read fixtures from it,
    // so it holds committed checkpoints already) or the run's; nothing new may be committed there.
    const storeFlag = c.command.indexOf('--store');
    const store = storeFlag >= 0 ? resolve(dir, c.command[storeFlag + 1]) : join(dir, 'run-store');
    const before = await committed(store);
    let stderr = '';
    const io = {
      out: () => undefined,
      err: (s: string) => {
        stderr += s;
      },
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
        isTTY: false,
      } as unknown as NodeJS.WriteStream,
    };
    const code = await main(args, io);
    expect(code, stderr).not.toBe(0);
    expect(stderr).toMatch(new RegExp(c.error));
    expect(await committed(store)).toEqual(before);
    const out = c.command.indexOf('--out');
    if (out >= 0) {
      expect(await stat(resolve(dir, c.command[out + 1])).catch(() => null)).toBeNull();
      expect(await stat(resolve(dir, `${c.command[out + 1]}.partial`)).catch(() => null)).toBeNull();
    }
  });
});
