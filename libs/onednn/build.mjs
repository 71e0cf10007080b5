// Builds the oneDNN addon at install time. Optional by design: when a compiler, Node's headers or
// Debian's libdnnl-dev are missing, it says so in one line and exits 0, and tfjs's wasm kernels run
// instead. g++ is called directly (not node-gyp) because node-gyp fetches Node's headers from
// nodejs.org unless told where they are; the headers that come with Node are used here, offline.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'onednn.node');
const skip = (why) => {
  console.log(`@noisy/onednn: not built (${why}); the wasm kernels will be used`);
  process.exit(0);
};

if (process.env.NOISY_ONEDNN_BUILD === '0') skip('NOISY_ONEDNN_BUILD=0');
if (process.platform !== 'linux') skip(`platform ${process.platform}`);
const nodeHeaders = [
  resolve(process.execPath, '../../include/node'),
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
]
  .filter(Boolean)
  .find((d) => existsSync(join(d, 'node_api.h')));
if (!nodeHeaders) skip("Node's headers (node_api.h) not found next to the node binary");
if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) skip('oneDNN headers missing: apt-get install libdnnl-dev');
const cxx = process.env.CXX || 'g++';
mkdirSync(dirname(out), { recursive: true });
const compile = (args) => {
  const r = spawnSync(cxx, ['-std=c++17', '-fPIC', '-fopenmp', '-fvisibility=hidden', ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error) skip(`${cxx}: ${r.error.message}`);
  if (r.status !== 0) skip(`${cxx} exited with ${r.status}`);
};
// The activation loops alone get -ffast-math (vector exp from libmvec); the rest is plain -O2.
const elementwise = join(dirname(out), 'elementwise.o');
compile(['-O3', '-ffast-math', '-c', join(here, 'src', 'elementwise.cc'), '-o', elementwise]);
compile([
  '-O2',
  '-shared',
  '-DNODE_GYP_MODULE_NAME=onednn',
  `-I${nodeHeaders}`,
  join(here, 'src', 'addon.cc'),
  elementwise,
  '-o',
  out,
  '-ldnnl',
]);
console.log(`@noisy/onednn: built ${out}`);
