#!/usr/bin/env bash
# Make Fashion-MNIST available for the examples: the Debian package dataset-fashion-mnist when
# apt-get can install it; otherwise `noisy run` downloads the dataset into ~/.cache/noisy.
set -u
[ -d /usr/share/datasets/fashion-mnist ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  echo "installing Debian package dataset-fashion-mnist (Fashion-MNIST, IDX files)" >&2
  $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; } \
    || echo "could not install dataset-fashion-mnist; noisy will try to download Fashion-MNIST" >&2
fi
exit 0
