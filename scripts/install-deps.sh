#!/usr/bin/env bash
# Installs every Debian package Tango needs to build, test and run, when missing. Idempotent and
# non-interactive; runs apt-get as root or through sudo. The CUDA toolkit (nvcc, cuBLAS, cuSPARSE,
# NCCL) is not a Debian package here: where it is installed the CUDA backend is built too, and its
# missing binary utilities (cuobjdump, nvdisasm) come from PyPI.
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
  libopenblas-dev libopenblas-openmp-dev libdnnl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libomp-dev
  python3 python3-venv
  clang-format
  iproute2 nftables iptables iputils-ping util-linux libnetfilter-queue-dev
)
if [[ "${1:-}" == "--slurm" ]]; then
  packages+=(slurm-wlm munge)
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  [[ $(id -u) -eq 0 || ${#sudo_cmd[@]} -gt 0 ]] ||
    { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists when they are missing or older than a day.
  if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]]; then
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A CUDA toolkit without its binary utilities (nvcc but no cuobjdump / nvdisasm): NVIDIA's own from
# PyPI, in a venv under /opt/tango/cuda-tools linked into /usr/local/bin. The ctest gpu.sass_no_ffma
# reads the kernels' machine code with them; it skips, saying so, where they cannot be had.
nvcc_bin=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
if [[ -n "$nvcc_bin" ]] && ! { command -v cuobjdump && command -v nvdisasm; } >/dev/null &&
   [[ ! -x "$(dirname "$nvcc_bin")/cuobjdump" ]]; then
  cuda_major=$("$nvcc_bin" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
  version="${cuda_major}.*"
  [[ "$cuda_major" == 13 ]] && version="13.2.*"  # the versions the check was written against
  tools=/opt/tango/cuda-tools
  if "${sudo_cmd[@]}" python3 -m venv "$tools" &&
     "${sudo_cmd[@]}" "$tools/bin/pip" install --quiet "nvidia-cuda-cuobjdump==$version" "nvidia-cuda-nvdisasm==$version"; then
    for tool in cuobjdump nvdisasm; do
      "${sudo_cmd[@]}" ln -sf "$(ls "$tools"/lib/python3*/site-packages/nvidia/cu*/bin/$tool | head -n1)" /usr/local/bin/$tool
    done
    echo "install-deps: cuobjdump and nvdisasm $version in $tools"
  else
    echo "install-deps: could not install cuobjdump / nvdisasm (PyPI unreachable?); gpu.sass_no_ffma will skip" >&2
  fi
fi
