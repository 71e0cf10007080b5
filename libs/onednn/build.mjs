// Builds the oneDNN addon at install time. Optional by design: when a compiler, Node's headers or
// Debian's libdnnl-dev are missing, it says so in one line and exits 0, and tfjs's wasm kernels run
// instead (tools/native-addon.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonBuild } from '../../tools/native-addon.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'onednn.node');
const { nodeHeaders, compile, done } = addonBuild({
  label: '@noisy/onednn',
  fallback: 'the wasm kernels will be used',
  envSwitch: 'NOISY_ONEDNN_BUILD',
  header: '/usr/include/oneapi/dnnl/dnnl.hpp',
  installHint: 'apt-get install libdnnl-dev',
  out,
});
// The activation loops alone get -ffast-math (vector exp from libmvec); the rest is plain -O2.
const elementwise = join(dirname(out), 'elementwise.o');
compile(['-fopenmp', '-O3', '-ffast-math', '-c', join(here, 'src', 'elementwise.cc'), '-o', elementwise]);
compile([
  '-fopenmp',
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
done();
