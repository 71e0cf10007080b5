// Builds the libjpeg-turbo addon at install time. Optional by design, like libs/onednn: when a
// compiler, Node's headers or Debian's libjpeg62-turbo-dev are missing, it says so in one line and
// exits 0, and training input decodes every picture through sharp (tools/native-addon.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonBuild } from '../../tools/native-addon.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'jpeg.node');
const { nodeHeaders, compile, done } = addonBuild({
  label: '@noisy/jpeg',
  fallback: 'training input decodes through sharp',
  envSwitch: 'NOISY_JPEG_BUILD',
  header: '/usr/include/jpeglib.h',
  installHint: 'apt-get install libjpeg62-turbo-dev',
  out,
});
compile([
  '-O3',
  '-shared',
  '-DNODE_GYP_MODULE_NAME=jpeg',
  `-I${nodeHeaders}`,
  join(here, 'src', 'addon.cc'),
  '-o',
  out,
  '-ljpeg',
]);
done();
