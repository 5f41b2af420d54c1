#!/usr/bin/env bash
# Makes the one file a lent GPU machine needs: the CUDA test programs, tango-train, tango-dataset and
# the GPU kernel benchmarks (stripped, machine code for sm_90 inside), every shared library they and
# mpirun load that the device image lacks, OpenMPI's launcher with its component folder, and PyG's
# GCN script, in one tar.xz that tests/gpu/run.sh unpacks and runs there (nothing is built there).
#
#   scripts/gpu-bundle.sh [--from-build DIR] [--fast] [OUT_DIR]   writes OUT_DIR/tango-gpu.tar.xz
#                                                                 (default .gpu-bundle/, git-ignored)
#   --from-build DIR   take the programs from an existing build tree (CUDA on, sm_90 among its
#                      architectures; the default build compiles 80;90 where nvcc is) and build nothing:
#                      what the ctest gpu.bundle_dry_run does with the main build. Without it, the
#                      programs are built in build-gpu-bundle (Release, CMAKE_CUDA_ARCHITECTURES=90).
#   --fast             xz -1 instead of -6: 3-4x faster on 2 cores, ~30% larger (the ctest's choice).
# The tarball is left as it is when it is newer than every file that goes into it.
#
# Left out, because the device image has them: glibc (its loader, libc, libm, libpthread, libdl, librt,
# ...), the CUDA driver and toolkit libraries (libcuda, libcudart, cuBLAS(Lt), cuSPARSE, nvJitLink) and
# NCCL (the image has it in its Python environment, nvidia-nccl-cu13). libstdc++ and libgcc_s go into
# compat/, which run.sh puts on the library path only when the image's own are missing or too old.
# OpenMPI components that need a library not shipped (UCX, libfabric, verbs, PSM, netlink, OpenSHMEM)
# are left out; OpenMPI skips them on a single node anyway.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
from_build=""
xz_level=6
out_dir="$repo/.gpu-bundle"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --from-build) [[ $# -ge 2 ]] || { echo "gpu-bundle: --from-build needs a folder" >&2; exit 2; }
                  from_build="$(cd "$2" && pwd)"; shift 2 ;;
    --fast) xz_level=1; shift ;;
    -*) echo "gpu-bundle: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) out_dir="$1"; shift ;;
  esac
done
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
bundle="$out_dir/tango-gpu.tar.xz"

# What tests/gpu/run.sh runs: build-tree path -> path in the bundle (its folder).
programs=(
  tests/core_tests:tests tests/kernels_tests:tests tests/comm_tests:tests
  tests/comm/comm_collectives:tests tests/comm/comm_halo_loopback:tests
  tests/trainer/trainer_device_equivalence:tests
  bin/tango-train:bin bin/tango-dataset:bin
  bench/gemm_bench:bench bench/quantize_bench:bench bench/spmm_bench:bench
)
targets=()
for p in "${programs[@]}"; do targets+=("$(basename "${p%%:*}")"); done

if [[ -z "$from_build" ]]; then
  build="$repo/build-gpu-bundle"
  command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]] ||
    { echo "gpu-bundle: no nvcc: the bundle's CUDA code is compiled here" >&2; exit 1; }
  mkdir -p "$build"
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANGO_ENABLE_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 > "$build/gpu-bundle-configure.log"
  grep -q "CUDA backend ON" "$build/gpu-bundle-configure.log" ||
    { echo "gpu-bundle: the CUDA backend is off in $build (see $build/gpu-bundle-configure.log)" >&2; exit 1; }
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
else
  build="$from_build"
  [[ -f "$build/CMakeCache.txt" ]] || { echo "gpu-bundle: $build is not a CMake build folder" >&2; exit 1; }
fi

# The build must carry sm_90 machine code (a Hopper GPU cannot run sm_80 code, and PTX from this
# nvcc may be newer than the device's driver can compile).
archs=$(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$build/CMakeCache.txt")
[[ -z "$archs" ]] && archs="80;90"  # the project's default (CMakeLists.txt), not cached
if [[ ! ";${archs// /;};" =~ \;(90a?(-real)?|all|all-major)\; ]]; then
  echo "gpu-bundle: $build compiles CUDA for '$archs', not sm_90; use the default or =90" >&2
  exit 77  # the ctest reports this as skipped
fi
grep -q '^TANGO_ENABLE_CUDA:BOOL=OFF' "$build/CMakeCache.txt" &&
  { echo "gpu-bundle: $build was configured with TANGO_ENABLE_CUDA=OFF" >&2; exit 1; }
inputs=("${BASH_SOURCE[0]}" "$repo/bench/pyg_train.py")
for p in "${programs[@]}"; do
  file="$build/${p%%:*}"
  [[ -x "$file" ]] || {
    echo "gpu-bundle: $file is missing; build it first: cmake --build $build --target ${targets[*]}" >&2
    exit 1
  }
  inputs+=("$file")
done

if [[ -f "$bundle" ]]; then
  stale=0
  for f in "${inputs[@]}"; do [[ "$f" -nt "$bundle" ]] && stale=1 && break; done
  if [[ $stale -eq 0 ]]; then
    echo "gpu-bundle: $bundle is up to date ($(du -h "$bundle" | cut -f1))"
    exit 0
  fi
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/tango-gpu-bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root="$stage/tango-gpu"
multiarch="lib/x86_64-linux-gnu"
libdir="$root/usr/$multiarch"
mkdir -p "$root"/{bin,tests,bench,compat} "$libdir" "$root/usr/bin"

for p in "${programs[@]}"; do
  install -m 755 "$build/${p%%:*}" "$root/${p##*:}/"
done
install -m 644 "$repo/bench/pyg_train.py" "$root/bench/"

# OpenMPI as Debian lays it out under /usr, so OPAL_PREFIX=<bundle>/usr relocates all of it: the
# launcher (mpirun is orterun), the component folder, the help texts. PMIx's plugins keep their
# folder too; run.sh names it in PMIX_MCA_mca_base_component_path.
ompi_components="/usr/$multiarch/openmpi/lib/openmpi3"
pmix_prefix="/usr/$multiarch/pmix2"
for tool in orterun orted; do install -m 755 "/usr/bin/$tool" "$root/usr/bin/"; done
ln -s orterun "$root/usr/bin/mpirun"
ln -s orterun "$root/usr/bin/mpiexec"
mkdir -p "$root$ompi_components" "$root$pmix_prefix/lib/pmix" "$root/usr/share"
cp -a /usr/share/openmpi "$root/usr/share/"
cp -a "$pmix_prefix/lib/pmix/." "$root$pmix_prefix/lib/pmix/"
# Libraries a component may not pull in (not shipped; useless on one node).
unwanted='^(libucp|libuct|libucs|libucm|libfabric|libibverbs|librdmacm|libefa|libpsm|libinfinipath|libnl-|liboshmem)'
dropped=()
for component in "$ompi_components"/*.so; do
  if ldd "$component" | awk '{print $1}' | grep -qE "$unwanted"; then
    dropped+=("$(basename "$component" .so)")
    continue
  fi
  install -m 644 "$component" "$root$ompi_components/"
done

# Every shared library the ELF files above load, by ldd, minus what the device image has.
image_has='^(linux-vdso|ld-linux-x86-64|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libBrokenLocale|libthread_db|libnss_[a-z]+|libcuda|libcudart|libcublas|libcublasLt|libcusparse|libnvJitLink|libnvrtc|libnccl)\.so'
compat='^(libstdc\+\+|libgcc_s)\.so'
declare -A shipped=()
while IFS= read -r elf; do
  while read -r soname arrow path _; do
    [[ "$arrow" == "=>" && "$path" == /* ]] || continue
    [[ "$soname" =~ $image_has || -n "${shipped[$soname]:-}" ]] && continue
    shipped[$soname]="$path"
  done < <(ldd "$elf" 2>/dev/null || true)
done < <(find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print)
for soname in "${!shipped[@]}"; do
  dest="$libdir"
  [[ "$soname" =~ $compat ]] && dest="$root/compat"
  cp -L "${shipped[$soname]}" "$dest/$soname"
  chmod 644 "$dest/$soname"
done

# Stripped: symbols are for debuggers; the CUDA fatbin sections stay.
find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; \
  -exec strip --strip-unneeded {} +

# The newest glibc symbol version anything in the bundle needs (run.sh compares it with the image's).
glibc_needed=$(find "$root" -type f -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print0 |
  xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1 | sed 's/GLIBC_//')
{
  echo "commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n) from $build"
  echo "cuda_architectures $archs"
  echo "nvcc $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p' || echo unknown)"
  echo "glibc_needed $glibc_needed"
  echo "openmpi_components_dropped ${dropped[*]}"
  echo "libraries $(printf '%s\n' "${!shipped[@]}" | sort | tr '\n' ' ')"
} > "$root/MANIFEST"

tar -C "$stage" -cf - tango-gpu | xz -T"$(nproc)" -"$xz_level" > "$bundle.tmp"
mv "$bundle.tmp" "$bundle"
size_mib=$(( $(stat -c %s "$bundle") / 1048576 ))
echo "gpu-bundle: $bundle ($(du -h "$bundle" | cut -f1), ${#shipped[@]} libraries, sm: $archs, glibc >= $glibc_needed)"
if [[ $size_mib -ge 60 ]]; then
  echo "gpu-bundle: the bundle is over 60 MiB" >&2
  exit 1
fi
