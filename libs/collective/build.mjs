// Builds the Gloo addon at install time. Optional by design, like libs/onednn: when a compiler,
// Node's headers or Debian's libgloo-dev are missing, it says so in one line and exits 0; training
// then runs single-rank only (asking for replicas > 1 fails with a message naming the package).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonBuild } from '../../tools/native-addon.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'gloo.node');
const { nodeHeaders, compile, done } = addonBuild({
  label: '@noisy/collective',
  fallback: 'training runs single-rank only',
  envSwitch: 'NOISY_GLOO_BUILD',
  header: '/usr/include/gloo/transport/tcp/device.h',
  installHint: 'apt-get install libgloo-dev',
  out,
});
compile([
  '-O2',
  '-shared',
  '-DNODE_GYP_MODULE_NAME=gloo',
  `-I${nodeHeaders}`,
  join(here, 'src', 'addon.cc'),
  join(here, 'src', 'tcp_store.cc'),
  '-o',
  out,
  '-lgloo',
  '-pthread',
]);
done();
