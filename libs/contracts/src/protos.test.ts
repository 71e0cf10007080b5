import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const buf = join(root, 'node_modules', '.bin', 'buf');

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)],
  );
}

describe('protos', () => {
  it('protos - buf lint passes', () => {
    expect(() => execFileSync(buf, ['lint', 'proto'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it('protos - the committed generated code is what buf generate produces', () => {
    const out = mkdtempSync(join(tmpdir(), 'gen-'));
    execFileSync(buf, ['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', out], {
      cwd: root,
      stdio: 'pipe',
    });
    const fresh = join(out, 'libs', 'contracts', 'src', 'gen');
    const committed = join(root, 'libs', 'contracts', 'src', 'gen');
    expect(files(fresh).sort()).toEqual(files(committed).sort());
    for (const f of files(fresh))
      expect(readFileSync(join(fresh, f), 'utf8'), f).toBe(readFileSync(join(committed, f), 'utf8'));
  });
});
