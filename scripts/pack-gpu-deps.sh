#!/usr/bin/env bash
# Packs the Debian libraries Tango builds against (headers + shared libraries, no system-wide install)
# into one tarball that a lent GPU machine can unpack: tests/gpu/run.sh reads it via TANGO_GPU_DEPS.
#   scripts/pack-gpu-deps.sh [OUTPUT]     (default .gpu-deps/tango-deps.tar.xz, ignored by git)
# Then: device run with carry [".gpu-deps"] and command
#   TANGO_GPU_DEPS=.gpu-deps/tango-deps.tar.xz tests/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
output="${1:-.gpu-deps/tango-deps.tar.xz}"
packages=(libopenmpi-dev libopenmpi3 libhdf5-dev libhdf5-103-1 libmetis-dev libmetis5 libcli11-dev nlohmann-json3-dev
          libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libopenblas-dev libopenblas0-pthread libopenblas-pthread-dev
          libdnnl-dev libdnnl2 libgtest-dev libbenchmark-dev libbenchmark1debian zlib1g-dev libgomp1
          libpmix2 libevent-core-2.1-7 libevent-pthreads-2.1-7 libhwloc15 libsz2 libaec0 libcurl3-gnutls)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${packages[@]}")
mkdir -p "$work/root" "$(dirname "$output")"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
rm -rf "$work/root/usr/share/doc" "$work/root/usr/share/man"
tar -C "$work/root" -cJf "$output" .
grep -qx '/.gpu-deps/' .git/info/exclude 2>/dev/null || echo '/.gpu-deps/' >> "$(git rev-parse --git-common-dir)/info/exclude"
ls -la "$output"
