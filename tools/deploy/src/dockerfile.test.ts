// The Dockerfile, checked statically (no Docker engine here), and its health check script run
// against a real gRPC server.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startGrpcServer } from '@noisy/platform/grpc';
import { repoRoot } from './render.js';

const run = promisify(execFile);

/** Instructions per stage: { name, base, lines }. */
async function stages() {
  const text = (await readFile(resolve(repoRoot, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const out: Array<{ name: string; base: string; lines: string[] }> = [];
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[2] ?? '', base: from[1], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return { text, stages: out };
}

describe('Dockerfile', () => {
  it('builds CPU and GPU runtimes in multi-stage form: npm ci in build stages, non-root, health check', async () => {
    const { text, stages: s } = await stages();
    expect(text).toMatch(/ARG CUDA_IMAGE=nvidia\/cuda:11\.\d+\.\d+-cudnn8-runtime-/);
    const byName = Object.fromEntries(s.map((x) => [x.name, x]));
    expect(byName['deps-cpu'].lines.join('\n')).toMatch(/npm ci --omit=dev --omit=optional/);
    expect(byName['deps-gpu'].lines.join('\n')).toMatch(/npm ci --omit=dev (?!.*--omit=optional)/);
    // The CPU image builds the oneDNN addon (and fails if it does not) and ships oneDNN's runtime.
    expect(byName['deps-cpu'].lines.join('\n')).toMatch(
      /libdnnl-dev[\s\S]*node libs\/onednn\/build\.mjs[\s\S]*test -f libs\/onednn\/build\/onednn\.node/,
    );
    expect(byName.cpu.lines.join('\n')).toMatch(/apt-get install .*libdnnl2/);
    // Both images carry the Gloo collectives addon (data-parallel ranks) and its libraries.
    for (const stage of ['deps-cpu', 'deps-gpu'])
      expect(byName[stage].lines.join('\n')).toMatch(
        /libgloo-dev[\s\S]*node libs\/collective\/build\.mjs[\s\S]*test -f libs\/collective\/build\/gloo\.node/,
      );
    expect(byName.cpu.lines.join('\n')).toMatch(/apt-get install .*libgloo0/);
    expect(byName.gpu.lines.join('\n')).toMatch(/libgloo\.so\.0[\s\S]*LD_LIBRARY_PATH/);
    expect(byName.gpu.base).toBe('${CUDA_IMAGE}');
    for (const target of ['cpu', 'gpu']) {
      const lines = byName[target].lines.join('\n');
      expect(lines, target).toMatch(/^USER 10001/m);
      expect(lines, target).toMatch(/^HEALTHCHECK .*grpc-health\.mjs/m);
      expect(lines, target).toMatch(/COPY --from=deps-/);
      expect(lines, target).not.toMatch(/npm (ci|install)/); // runtime stages only copy what the build stage installed
    }
    expect(byName.gpu.lines.join('\n')).toMatch(/TF_FORCE_GPU_ALLOW_GROWTH=true/);
    const ignore = await readFile(resolve(repoRoot, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/node_modules/);
  });

  it('the health check script exits 0 while the service is SERVING and 1 when it is not', async () => {
    const server = await startGrpcServer(0, () => undefined, '127.0.0.1');
    const script = resolve(repoRoot, 'tools/healthcheck/grpc-health.mjs');
    try {
      await expect(run(process.execPath, [script, String(server.port)])).resolves.toBeDefined();
      server.setServing(false);
      await expect(run(process.execPath, [script, String(server.port)])).rejects.toMatchObject({ code: 1 });
    } finally {
      await server.shutdown();
    }
    await expect(run(process.execPath, [script, String(server.port)])).rejects.toMatchObject({ code: 1 });
  });
});
