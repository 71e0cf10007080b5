// Builds the Gloo addon at install time. Optional by design, like libs/onednn: when a compiler,
// Node's headers or Debian's libgloo-dev are missing, it says so in one line and exits 0; training
// then runs single-rank only (asking for replicas > 1 fails with a message naming the package).
// g++ is called directly against the N-API headers that ship with Node, offline.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'gloo.node');
const skip = (why) => {
  console.log(`@noisy/collective: Gloo addon not built (${why}); training runs single-rank only`);
  process.exit(0);
};

if (process.env.NOISY_GLOO_BUILD === '0') skip('NOISY_GLOO_BUILD=0');
if (process.platform !== 'linux') skip(`platform ${process.platform}`);
const nodeHeaders = [
  resolve(process.execPath, '../../include/node'),
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
]
  .filter(Boolean)
  .find((d) => existsSync(join(d, 'node_api.h')));
if (!nodeHeaders) skip("Node's headers (node_api.h) not found next to the node binary");
if (!existsSync('/usr/include/gloo/transport/tcp/device.h')) skip('Gloo headers missing: apt-get install libgloo-dev');
const cxx = process.env.CXX || 'g++';
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(
  cxx,
  [
    '-std=c++17',
    '-fPIC',
    '-O2',
    '-shared',
    '-fvisibility=hidden',
    '-DNODE_GYP_MODULE_NAME=gloo',
    `-I${nodeHeaders}`,
    join(here, 'src', 'addon.cc'),
    join(here, 'src', 'tcp_store.cc'),
    '-o',
    out,
    '-lgloo',
    '-pthread',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (r.error) skip(`${cxx}: ${r.error.message}`);
if (r.status !== 0) skip(`${cxx} exited with ${r.status}`);
console.log(`@noisy/collective: built ${out}`);
