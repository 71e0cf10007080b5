// Render the chart and the dev kustomization with the helm and kubectl binaries from npm.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { k8sTools } from '@noisy/testing';

const run = promisify(execFile);
export const repoRoot = resolve(import.meta.dirname, '../../..');
export const chartDir = resolve(repoRoot, 'helm/noisy-student');

async function tool(which: 'helm' | 'kubectl', args: string[]): Promise<string> {
  const tools = await k8sTools();
  try {
    const { stdout } = await run(tools[which], args, {
      cwd: repoRoot,
      maxBuffer: 64 << 20,
      env: {
        ...process.env,
        HELM_CACHE_HOME: resolve(repoRoot, 'node_modules/.cache/helm'),
        HELM_CONFIG_HOME: resolve(repoRoot, 'node_modules/.cache/helm'),
        HELM_DATA_HOME: resolve(repoRoot, 'node_modules/.cache/helm'),
      },
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${which} ${args.join(' ')} failed:\n${e.stderr || e.stdout || e.message}`, { cause: err });
  }
}

export const helm = (args: string[]) => tool('helm', args);
export const kubectl = (args: string[]) => tool('kubectl', args);

/** `helm template` of the chart with value files and --set pairs. */
export function helmTemplate(
  o: { release?: string; namespace?: string; values?: string[]; set?: string[] } = {},
): Promise<string> {
  return helm([
    'template',
    o.release ?? 'noisy',
    chartDir,
    '--namespace',
    o.namespace ?? 'default',
    ...(o.values ?? []).flatMap((f) => ['-f', f]),
    ...(o.set ?? []).flatMap((s) => ['--set', s]),
  ]);
}
