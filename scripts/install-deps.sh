#!/usr/bin/env bash
# Installs every Debian package Tango needs to build, test and run, when missing. Idempotent and
# non-interactive; runs apt-get as root or through sudo. The CUDA toolkit (nvcc, cuBLAS, cuSPARSE,
# NCCL) is not a Debian package here: where it is installed the CUDA backend is built too.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --slurm    also Slurm and munge (for the batch-script tests)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  openmpi-bin libopenmpi-dev
  libmetis-dev
  libssl-dev
  libhdf5-dev
  zlib1g-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libopenblas-dev libdnnl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libomp-dev
  python3 python3-venv
  clang-format
  iproute2 nftables iptables iputils-ping util-linux libnetfilter-queue-dev
)
if [[ "${1:-}" == "--slurm" ]]; then
  packages+=(slurm-wlm munge)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]]; then
  "${sudo_cmd[@]}" apt-get update -qq
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
