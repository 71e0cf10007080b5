#!/usr/bin/env bash
# What `npm test` needs besides npm packages, installed through apt-get when it can:
#   nats-server          the real JetStream server of the integration tests
#   chromium             the report test opens the HTML report in a real browser
#   dataset-fashion-mnist  the examples' dataset (CLI tests read it when present)
#   g++ libdnnl-dev      the oneDNN kernel addon (libs/onednn), then built here if npm ci could not
#   libgloo-dev          the Gloo collectives addon (libs/collective) of data-parallel training
#   libjpeg62-turbo-dev  the training-input JPEG addon (libs/jpeg)
# Where apt-get cannot run, it prints one line saying what to install, and the tests that need a
# missing program fail with that program's name.
set -u
cd "$(dirname "$0")/.."
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } || missing+=(chromium)
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || missing+=(libdnnl-dev)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v openssl >/dev/null 2>&1 || missing+=(openssl) # the gRPC TLS test makes its certificates
[ -f /usr/include/gloo/transport/tcp/device.h ] || missing+=(libgloo-dev)
[ -f /usr/include/jpeglib.h ] || missing+=(libjpeg62-turbo-dev)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
    echo "installing Debian packages for the tests: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { $SUDO apt-get update -qq >/dev/null 2>&1 \
        && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } \
      || echo "could not install ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) and rerun npm test" >&2
  else
    echo "the tests need ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) and rerun npm test" >&2
  fi
fi
# The addons, when npm ci ran before their Debian packages were present.
[ -f libs/onednn/build/onednn.node ] || node libs/onednn/build.mjs >&2
[ -f libs/collective/build/gloo.node ] || node libs/collective/build.mjs >&2
[ -f libs/jpeg/build/jpeg.node ] || node libs/jpeg/build.mjs >&2
exit 0
