// What the optional native addons' install-time builds share (libs/onednn, libs/collective): find
// Node's own N-API headers (offline: not node-gyp, which fetches them from nodejs.org), call g++,
// and on anything missing say so in one line and exit 0, so that `npm ci` never fails for them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Start a build of `out`; `label` prefixes every line, `fallback` says what runs without the addon,
 * `envSwitch` (=0) turns the build off, `header` is the library header that must exist.
 */
export function addonBuild({ label, fallback, envSwitch, header, installHint, out }) {
  const skip = (why) => {
    console.log(`${label}: not built (${why}); ${fallback}`);
    process.exit(0);
  };
  if (process.env[envSwitch] === '0') skip(`${envSwitch}=0`);
  if (process.platform !== 'linux') skip(`platform ${process.platform}`);
  const nodeHeaders = [
    resolve(process.execPath, '../../include/node'),
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
  ]
    .filter(Boolean)
    .find((d) => existsSync(join(d, 'node_api.h')));
  if (!nodeHeaders) skip("Node's headers (node_api.h) not found next to the node binary");
  if (!existsSync(header)) skip(`headers missing: ${installHint}`);
  const cxx = process.env.CXX || 'g++';
  mkdirSync(dirname(out), { recursive: true });
  /** g++ with C++17, PIC and hidden symbols, plus `args`; a failure skips the addon. */
  const compile = (args) => {
    const r = spawnSync(cxx, ['-std=c++17', '-fPIC', '-fvisibility=hidden', ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.error) skip(`${cxx}: ${r.error.message}`);
    if (r.status !== 0) skip(`${cxx} exited with ${r.status}`);
  };
  return { nodeHeaders, compile, done: () => console.log(`${label}: built ${out}`) };
}
