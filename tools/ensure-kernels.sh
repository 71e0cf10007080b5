#!/usr/bin/env bash
# Build the oneDNN kernel addon (libs/onednn) if npm ci could not: install Debian's libdnnl-dev
# and g++ when apt-get can, then compile. Convolutions, batch norm and activations then run on
# oneDNN (2-5x faster training here); without it everything still runs on tfjs's wasm kernels.
set -u
cd "$(dirname "$0")/.."
[ -f libs/onednn/build/onednn.node ] && exit 0
if [ ! -f /usr/include/oneapi/dnnl/dnnl.hpp ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  echo "installing Debian packages libdnnl-dev g++ (oneDNN kernels)" >&2
  $SUDO apt-get install -y -qq libdnnl-dev g++ >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq libdnnl-dev g++ >/dev/null 2>&1; } \
    || echo "could not install libdnnl-dev; running on the wasm kernels" >&2
fi
node libs/onednn/build.mjs >&2
exit 0
