#!/usr/bin/env bash
# Put Weka's Image Segmentation dataset (UCI "segment": 19 numeric features, 7 classes,
# segment-challenge.arff 1,500 rows + segment-test.arff 810 rows) where the table example reads
# it: .noisy/datasets/segment/. The files ship in the Debian package `weka`; when it is not
# installed, its .deb is fetched with `apt-get download` and unpacked (no Java needed).
set -eu
dest="${1:-.noisy/datasets/segment}"
files="segment-challenge.arff segment-test.arff"
[ -f "$dest/segment-challenge.arff" ] && [ -f "$dest/segment-test.arff" ] && exit 0
mkdir -p "$dest"
src=/usr/share/doc/weka/examples
if [ ! -f "$src/segment-challenge.arff" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching the Debian package weka to unpack its example datasets" >&2
  (cd "$tmp" && apt-get download weka >/dev/null 2>&1) || { echo "apt-get download weka failed: install the Debian package weka, or copy $files into $dest" >&2; exit 1; }
  dpkg -x "$tmp"/weka_*.deb "$tmp/x"
  src="$tmp/x/usr/share/doc/weka/examples"
fi
for f in $files; do
  if [ -f "$src/$f" ]; then cp "$src/$f" "$dest/"; else gunzip -c "$src/$f.gz" > "$dest/$f"; fi
done
echo "segment dataset in $dest" >&2
