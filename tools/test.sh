#!/usr/bin/env bash
# `npm test`: install what the tests need (tools/ensure-test-deps.sh), then the formatter check,
# lint, typecheck and both vitest projects. The native suites (oneDNN kernels, Gloo collectives,
# libjpeg-turbo decoding) follow the same rule as .ci/run: where an addon's Debian packages are
# installed, a missing addon fails its tests instead of skipping them; where they could not be
# installed, one line says which suites are skipped and what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-test-deps.sh
skipped=()
require() { # require VAR HEADER LABEL PACKAGE
  if [ -f "$2" ]; then
    export "$1=${!1:-1}"
  else
    skipped+=("$3 ($4)")
  fi
}
require NOISY_REQUIRE_ONEDNN /usr/include/oneapi/dnnl/dnnl.hpp 'oneDNN kernels' libdnnl-dev
require NOISY_REQUIRE_GLOO /usr/include/gloo/transport/tcp/device.h 'Gloo collectives' libgloo-dev
require NOISY_REQUIRE_JPEG /usr/include/jpeglib.h 'libjpeg-turbo decoding' libjpeg62-turbo-dev
if [ ${#skipped[@]} -gt 0 ]; then
  echo "native suites skipped, their packages are not installed: $(IFS=,; echo "${skipped[*]}" | sed 's/,/, /g')" >&2
fi
npm run format:check
npm run lint
npm run typecheck
npx vitest run
