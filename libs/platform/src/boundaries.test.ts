// The module boundary of DESIGN §3, proved both ways: ESLint refuses a network import in the pure
// libraries (the rule fires on a snippet linted as if it were there), and loading the pure
// libraries really loads no network package (a resolve hook in a child process fails on one).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('module boundaries', () => {
  it.each([
    ['libs/pipeline/src/x.ts', "import { NatsEventBus } from '@noisy/platform/nats';"],
    ['libs/pipeline/src/x.ts', "import { openObjectStore } from '@noisy/platform/s3';"],
    ['libs/ml/src/x.ts', "import { unary } from '@noisy/platform/grpc';"],
    ['libs/data/src/x.ts', "import { controllerPb } from '@noisy/contracts/grpc';"],
    ['libs/core/src/x.ts', "import { connect } from '@nats-io/transport-node';"],
    ['libs/pipeline/src/x.ts', "import { S3Client } from '@aws-sdk/client-s3';"],
    ['libs/pipeline/src/x.ts', "import { S3ObjectStore } from '../../platform/src/object-store/s3.js';"],
    ['libs/pipeline/src/x.ts', "import { hostService } from '@noisy/host';"],
  ])('boundaries - %s may not %s', async (file, code) => {
    expect((await lint(file, code)).join('\n')).toMatch(/import no network|never an adapter|through its index/);
  });

  it('boundaries - the ports and the network entries are allowed where they belong', async () => {
    expect(await lint('libs/pipeline/src/x.ts', "import { MemoryEventBus } from '@noisy/platform';")).toEqual([]);
    expect(await lint('libs/host/src/x.ts', "import { NatsEventBus } from '@noisy/platform/nats';")).toEqual([]);
    expect(await lint('libs/pipeline/src/x.test.ts', "import { NatsEventBus } from '@noisy/platform/nats';")).toEqual(
      [],
    );
  });

  // A child process whose resolve hook throws on any network package names the first one loaded.
  const hook = `data:text/javascript,${encodeURIComponent(
    `export async function resolve(s, c, next) {
       if (/^(@nats-io|@aws-sdk|@grpc)\\//.test(s)) throw new Error('network package ' + s + ' loaded by ' + c.parentURL);
       return next(s, c);
     }`,
  )}`;
  const load = (spec: string) =>
    promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { register } from 'node:module'; register(${JSON.stringify(hook)}); await import(${JSON.stringify(spec)});`,
      ],
      { cwd: root },
    );

  it('boundaries - loading @noisy/pipeline (with ml, data, core, contracts, platform) loads no network package', async () => {
    await expect(load('@noisy/pipeline')).resolves.toBeDefined();
  });

  it('boundaries - the hook does catch a network package (@noisy/platform/nats)', async () => {
    await expect(load('@noisy/platform/nats')).rejects.toThrow(/network package @nats-io\//);
  });
});
