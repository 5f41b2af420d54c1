#!/usr/bin/env bash
# The one command for a lent GPU machine: runs everything from the prebuilt bundle of
# scripts/gpu-bundle.sh (nothing is built there) in at most 6 minutes, and leaves two files in $OUT:
# summary.txt and gpu-run.tar.gz (every log, the JSON summaries, the benchmark output).
#
#   tests/gpu/run.sh [BUNDLE]             on the GPU machine (default .gpu-bundle/tango-gpu.tar.xz)
#   tests/gpu/run.sh --dry-run [BUNDLE]   here, without a GPU: unpacks the bundle into a temporary
#                                         folder and, in a clean environment (env -i plus the bundle's
#                                         paths), shows that every library resolves inside the bundle
#                                         except the ones the device image provides (glibc, CUDA, NCCL),
#                                         then runs the bundled tango-train --device cpu on a small
#                                         synthetic graph to the end, under the bundled mpirun, checking
#                                         that every library it loads comes from the bundle (LD_DEBUG).
#
# Steps on the GPU, each under `timeout` and inside a whole-run deadline (TANGO_GPU_RUN_BUDGET_S,
# default 330 s: unpacking and packing the results take the rest of the 6 minutes):
#   environment   nvidia-smi, ldd --version, where each CUDA/NCCL library was found, any "not found"
#   cuda_tests    every *Cuda* gtest of core, kernels and comm (CUDA kernels against the CPU's; a
#                 skip counts as a failure here)
#   nccl_tests    comm_collectives' NCCL tests and comm_halo_loopback (the halo path over NCCL on one
#                 rank sending to itself), 1 rank under mpirun
#   trainer       trainer_device_equivalence: GCN/SAGE/GAT x fp32/int8 on CUDA against the CPU
#   smoke         tango-train --device cuda, 1 rank, on a 200k-node synthetic graph, fp32 and int8
#   pyg           PyG's GCN (the image's torch + torch_geometric) on the same graph and GPU
#   bench         the GPU kernel benchmarks (cuBLAS / cuSPARSE baselines in the same run), short min-times
# Environment: OUT (default /tmp/tango-gpu-out), TANGO_GPU_RUN_BUDGET_S, TANGO_GPU_RUN_DIR (where to
# unpack; default a new folder under /tmp).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dry_run=0
if [[ "${1:-}" == "--dry-run" ]]; then
  dry_run=1
  shift
fi
bundle="${1:-$repo/.gpu-bundle/tango-gpu.tar.xz}"
[[ -f "$bundle" ]] || { echo "run.sh: no bundle at $bundle (make it here with scripts/gpu-bundle.sh)" >&2; exit 2; }
bundle="$(cd "$(dirname "$bundle")" && pwd)/$(basename "$bundle")"
run_start=$(date +%s)

work="${TANGO_GPU_RUN_DIR:-$(mktemp -d /tmp/tango-gpu-run.XXXXXX)}"
mkdir -p "$work"
[[ $dry_run -eq 1 && -z "${TANGO_GPU_RUN_DIR:-}" ]] && trap 'rm -rf "$work"' EXIT
tar -C "$work" -xJf "$bundle"
prefix="$work/tango-gpu"
[[ -f "$prefix/MANIFEST" ]] || { echo "run.sh: $bundle is not a Tango GPU bundle (no MANIFEST)" >&2; exit 2; }
libdir="$prefix/usr/lib/x86_64-linux-gnu"
export OPAL_PREFIX="$prefix/usr"  # OpenMPI relocated: launcher, components, help texts
# PMIx (an external library of OpenMPI's) looks for its plugins in its compiled-in folder first, which
# the device image lacks, then in this one.
export PMIX_MCA_mca_base_component_path="$libdir/pmix2/lib/pmix"
export HWLOC_PLUGINS_PATH="$prefix/usr/lib/x86_64-linux-gnu/hwloc"  # none shipped: none loaded
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_base_warn_component_unused=0
mpirun=("$prefix/usr/bin/mpirun" -n 1 --bind-to none)

# Every ELF file of the bundle.
bundle_elves() {
  find "$prefix" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print
}
# Libraries the device image provides (never shipped), and the compat ones run.sh may add.
image_has='^(linux-vdso|ld-linux-x86-64|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libBrokenLocale|libthread_db|libnss_[a-z]+)\.so'
cuda_libs='^(libcuda|libcudart|libcublas|libcublasLt|libcusparse|libnvJitLink|libnvrtc|libnccl)\.so'
compat='^(libstdc\+\+|libgcc_s)\.so'

if [[ $dry_run -eq 1 ]]; then
  echo "== dry run of $bundle in $prefix"
  sed 's/^/   /' "$prefix/MANIFEST" | cut -c1-200
  clean_env=(env -i HOME="$work" TMPDIR="${TMPDIR:-/tmp}" PATH="$prefix/usr/bin:/usr/bin:/bin"
             LD_LIBRARY_PATH="$libdir" OPAL_PREFIX="$OPAL_PREFIX"
             PMIX_MCA_mca_base_component_path="$PMIX_MCA_mca_base_component_path"
             HWLOC_PLUGINS_PATH="$HWLOC_PLUGINS_PATH" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
             OMPI_MCA_btl_base_warn_component_unused=0 OMP_NUM_THREADS=2 TANGO_LOG_LEVEL=warn)
  problems=0
  # 1. Every library of every ELF file resolves inside the bundle, except the image's own.
  elves=0
  while IFS= read -r elf; do
    elves=$((elves + 1))
    while IFS= read -r line; do
      read -r soname arrow path _ <<< "$line"
      [[ "$arrow" == "=>" ]] || continue
      if [[ "$path" == "not" ]]; then
        [[ "$soname" =~ $cuda_libs ]] && continue
        echo "   NOT FOUND ${elf#"$prefix"/}: $soname"
        problems=$((problems + 1))
      elif [[ "$path" != "$prefix"/* && ! "$soname" =~ $image_has && ! "$soname" =~ $cuda_libs && ! "$soname" =~ $compat ]]; then
        echo "   OUTSIDE THE BUNDLE ${elf#"$prefix"/}: $soname => $path"
        problems=$((problems + 1))
      fi
    done < <("${clean_env[@]}" ldd "$elf" 2>&1 || true)
  done < <(bundle_elves)
  echo "   ldd: $elves ELF files, $problems libraries unresolved or outside the bundle (CUDA/NCCL and glibc excepted)"
  # 2. The bundled launcher and trainer, end to end on the CPU, every loaded library traced.
  graph="synthetic:nodes=3000,avg_degree=8,classes=4,features=16,homophily=0.8,seed=3"
  trace="$work/ld-debug"
  mkdir -p "$trace"
  set +e
  "${clean_env[@]}" LD_DEBUG=libs LD_DEBUG_OUTPUT="$trace/trace" "$prefix/usr/bin/mpirun" -n 1 --bind-to none \
    "$prefix/bin/tango-train" --dataset "$graph" --device cpu --epochs 3 --hidden 16 --quiet \
    --summary "$work/dry_run_summary.json" > "$work/dry_run.log" 2>&1
  rc=$?
  set -e
  sed 's/^/   | /' "$work/dry_run.log" | tail -n 20
  if [[ $rc -ne 0 || ! -s "$work/dry_run_summary.json" ]]; then
    echo "   tango-train under the bundled mpirun failed (exit $rc)"
    problems=$((problems + 1))
  else
    echo "   tango-train --device cpu: 3 epochs, summary $(tr -d ' \n' < "$work/dry_run_summary.json" | grep -o '"final_loss":[^,]*')"
  fi
  loaded=$(cat "$trace"/trace.* 2>/dev/null | sed -n 's/.*calling init: //p' | sort -u)
  # Where this machine has PMIx's own plugin folder, PMIx loads from it before the bundle's: accepted
  # for plugins the bundle ships too (the device image has no such folder).
  outside=$(echo "$loaded" | while read -r lib; do
    [[ -z "$lib" || "$lib" == "$prefix"/* ]] && continue
    name=$(basename "$lib")
    [[ "$name" =~ $image_has || "$name" =~ $cuda_libs || "$name" =~ $compat ]] && continue
    [[ "$lib" == */pmix2/lib/pmix/pmix_mca_* && -f "$PMIX_MCA_mca_base_component_path/$name" ]] && continue
    echo "$lib"
  done)
  echo "   LD_DEBUG: $(echo "$loaded" | grep -c . || true) libraries loaded by mpirun and tango-train (components included)"
  if [[ -n "$outside" ]]; then
    echo "$outside" | sed 's/^/   LOADED FROM OUTSIDE THE BUNDLE: /'
    problems=$((problems + 1))
  fi
  echo "== dry run: $([[ $problems -eq 0 ]] && echo OK || echo "$problems problem(s)") in $(( $(date +%s) - run_start )) s"
  [[ $problems -eq 0 ]]
  exit
fi

# ---- On the GPU machine -----------------------------------------------------------------------------
out="${OUT:-/tmp/tango-gpu-out}"
mkdir -p "$out"
logs="$work/logs"
mkdir -p "$logs"
budget="${TANGO_GPU_RUN_BUDGET_S:-330}"
steps_file="$logs/steps.tsv"
printf 'step\tseconds\texit\n' > "$steps_file"

# step NAME TIMEOUT_S COMMAND...: runs under timeout (cut to what is left of the budget), output to
# logs/NAME.log (appended), one line in steps.tsv (the verdict is read from there at the end).
step() {
  local name="$1" limit="$2"
  shift 2
  local left=$((budget - ($(date +%s) - run_start)))
  if [[ $left -lt 5 ]]; then
    echo "skipped: the run's budget of ${budget} s is spent" >> "$logs/$name.log"
    printf '%s\t0\tbudget\n' "$name" >> "$steps_file"
    return 0
  fi
  [[ $limit -gt $left ]] && limit=$left
  local t0 rc
  t0=$(date +%s%N)
  echo "\$ $*" >> "$logs/$name.log"
  rc=0
  timeout --kill-after=5 "$limit" "$@" >> "$logs/$name.log" 2>&1 || rc=$?
  local ms=$((($(date +%s%N) - t0) / 1000000))
  printf '%s\t%d.%d\t%s\n' "$name" $((ms / 1000)) $((ms % 1000 / 100)) "$rc" >> "$steps_file"
  echo "[$(( $(date +%s) - run_start )) s] $name: exit $rc"
}

# The image's CUDA and NCCL libraries: the toolkit's folders, then Python's nvidia-* wheels (NCCL is
# nvidia-nccl-cu13 there), then a search; each folder is put on the library path once.
lib_path="$libdir"
cuda_lib_dirs() {
  ls -d /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
        /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu 2>/dev/null || true
  python3 -c 'import glob, site
for base in site.getsitepackages():
    for d in sorted(glob.glob(base + "/nvidia/*/lib")): print(d)' 2>/dev/null || true
}
{
  echo "== ldd --version"; ldd --version 2>&1 | sed -n 1p
  have=$(ldd --version 2>&1 | sed -n '1s/.* \([0-9][0-9.]*\)$/\1/p')
  need=$(sed -n 's/^glibc_needed //p' "$prefix/MANIFEST")
  if [[ -n "$have" && -n "$need" && "$(printf '%s\n%s\n' "$need" "$have" | sort -V | sed -n 1p)" != "$need" ]]; then
    echo "!! the bundle needs glibc >= $need, this image has $have: its programs will not load"
  fi
  echo "== bundle"; cat "$prefix/MANIFEST"
  echo "== nvidia-smi"; nvidia-smi 2>&1 || true
} > "$logs/environment.log"
missing_sonames() {  # of the programs (the libraries and components need nothing of the image's but glibc)
  for elf in "$prefix"/{bin,tests,bench}/* "$prefix/usr/bin/orterun"; do
    [[ -x "$elf" && ! -L "$elf" ]] && LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$elf" 2>/dev/null
  done | awk '$2 == "=>" && $3 == "not" {print $1}' | sort -u
}
for soname in $(missing_sonames); do
  found=""
  for dir in $(cuda_lib_dirs); do [[ -e "$dir/$soname" ]] && found="$dir" && break; done
  [[ -z "$found" ]] && found=$(dirname "$(find /usr /opt -name "$soname" 2>/dev/null | sed -n 1p)" 2>/dev/null || true)
  if [[ -n "$found" && "$found" != "." ]]; then
    [[ ":$lib_path:" == *":$found:"* ]] || lib_path="$lib_path:$found"
    echo "found $soname in $found" >> "$logs/environment.log"
  fi
done
# The image's libstdc++ / libgcc_s unless they are missing or older than the bundle's programs need.
still_missing=$(missing_sonames)
train_ldd=$(LD_LIBRARY_PATH="$lib_path" ldd "$prefix/bin/tango-train" 2>&1 || true)
if grep -qE "$compat" <<< "$still_missing" || grep -q "version .GLIBCXX" <<< "$train_ldd"; then
  lib_path="$lib_path:$prefix/compat"
  echo "using the bundle's libstdc++ / libgcc_s (compat/)" >> "$logs/environment.log"
fi
# The image's own programs (python3 and PyTorch) keep the image's library path.
image_env=(env -u LD_LIBRARY_PATH)
[[ -n "${LD_LIBRARY_PATH:-}" ]] && image_env=(env LD_LIBRARY_PATH="$LD_LIBRARY_PATH")
export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$prefix/usr/bin:$PATH"
{
  echo "== LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "== not found after that:"
  bundle_elves | while read -r elf; do
    ldd "$elf" 2>&1 | grep "not found" | sed "s|^|${elf#"$prefix"/}: |" || true
  done
} >> "$logs/environment.log"
cat "$logs/environment.log"

T="$prefix/tests"
step cuda_tests 150 "$T/kernels_tests" --gtest_filter='*Cuda*' --gtest_brief=1 --gtest_color=no
step cuda_tests 60 "$T/core_tests" --gtest_filter='*Cuda*:Device.*' --gtest_brief=1 --gtest_color=no
step cuda_tests 60 "$T/comm_tests" --gtest_filter='*Cuda*' --gtest_brief=1 --gtest_color=no
step nccl_tests 60 "${mpirun[@]}" "$T/comm_collectives" --gtest_filter='*Device*:*Nccl*' --gtest_brief=1 --gtest_color=no
step nccl_tests 60 "${mpirun[@]}" "$T/comm_halo_loopback" --gtest_brief=1 --gtest_color=no
step trainer 150 "${mpirun[@]}" "$T/trainer_device_equivalence" --gtest_filter='*TrainOnCuda*' --gtest_brief=1 --gtest_color=no

# One graph for tango-train and PyG: converted once to Tango's HDF5 layout, which both read.
graph_spec="synthetic:nodes=200000,avg_degree=20,classes=8,features=128,homophily=0.8,seed=1"
graph="$work/smoke_graph.h5"
epochs=20
step smoke 90 "$prefix/bin/tango-dataset" convert "$graph_spec" --out "$graph"
for precision in fp32 int8; do
  step smoke 90 "${mpirun[@]}" "$prefix/bin/tango-train" --dataset "$graph" --device cuda --precision "$precision" \
    --epochs $epochs --eval-every $epochs --hidden 64 --quiet --summary "$logs/tango_$precision.json" \
    --metrics "$logs/tango_$precision.jsonl"
done
for adjacency in csr edge_index; do
  step pyg 90 "${image_env[@]}" python3 "$prefix/bench/pyg_train.py" --data "$graph" --device cuda --model gcn --hidden 64 \
    --epochs $epochs --eval-every $epochs --adjacency "$adjacency" --out "$logs/pyg_$adjacency.json"
done
for bench in gemm_bench quantize_bench spmm_bench; do
  step "$bench" 90 "$prefix/bench/$bench" --benchmark_filter=gpu_ --benchmark_min_time=0.05 --benchmark_color=false \
    --benchmark_out="$logs/$bench.json" --benchmark_out_format=json
done

# The summary: steps, test verdicts, epoch times against PyG, the benchmark ratio tables.
{
  echo "== Tango GPU run: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | sed -n 1p)"
  echo "bundle: $(head -n2 "$prefix/MANIFEST" | tr '\n' ' ')"
  echo "-- steps (seconds, exit) --"
  column -t -s $'\t' "$steps_file" 2>/dev/null || cat "$steps_file"
  echo "-- tests --"
  # Per program: gtest's closing counts ("[  PASSED  ] 23 tests.", "[  SKIPPED ] 1 test, ...").
  cat "$logs"/cuda_tests.log "$logs"/nccl_tests.log "$logs"/trainer.log 2>/dev/null | awk '
    /^\$ / { for (i = 2; i <= NF; ++i) if ($i !~ /^-/ && $i !~ /mpirun$/ && $i ~ /\//) { n = split($i, p, "/"); program = p[n]; break } }
    /^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test/ { line[program] = line[program] " " $2 " " $4 }
    END { for (name in line) printf "  %-28s%s\n", name, line[name] }' | sort
  echo "-- GCN epoch, 1 GPU, $graph_spec, hidden 64, 2 layers: median of epochs 3..$((epochs - 1)) (no evaluation) --"
  "${image_env[@]}" python3 - "$logs" "$epochs" <<'PY' || echo "(no epoch times)"
import json, os, statistics, sys
logs, epochs = sys.argv[1], int(sys.argv[2])
rows = []
for precision in ("fp32", "int8"):
    path = os.path.join(logs, f"tango_{precision}.jsonl")
    if os.path.exists(path):
        lines = [json.loads(l) for l in open(path) if l.strip()]
        times = [l["epoch_ms"] for l in lines if 3 <= l["epoch"] < epochs]
        if times:
            rows.append((f"tango {precision}", statistics.median(times), lines[-1]["loss"]))
for adjacency in ("csr", "edge_index"):
    path = os.path.join(logs, f"pyg_{adjacency}.json")
    if os.path.exists(path):
        r = json.load(open(path))
        rows.append((f"pyg {adjacency}", r["epoch_ms_median"], r["final_loss"]))
pyg = [ms for name, ms, _ in rows if name.startswith("pyg")]
best = min(pyg) if pyg else None
print(f"{'system':<16} {'epoch_ms':>10} {'vs best PyG':>12} {'final_loss':>11}")
for name, ms, loss in rows:
    ratio = f"{best / ms:.2f}x" if best else "-"
    print(f"{name:<16} {ms:>10.2f} {ratio:>12} {loss:>11.4f}")
PY
  for bench in gemm_bench quantize_bench spmm_bench; do
    echo "-- $bench: speedup over the case's baseline in the same run (cuBLAS sgemm / copy / cuSPARSE) --"
    sed -n '/^case  /,$p' "$logs/$bench.log" 2>/dev/null
  done
} > "$out/summary.txt" 2>&1
cp "$out/summary.txt" "$logs/"
tar -C "$work" -czf "$out/gpu-run.tar.gz" logs
cat "$out/summary.txt"
echo "run.sh: $(( $(date +%s) - run_start )) s; $out/summary.txt and $out/gpu-run.tar.gz"
# A skipped CUDA test means the GPU was not seen: a failure here.
failed=$(awk -F'\t' 'NR > 1 && $3 != "0"' "$steps_file" | wc -l)
skipped=$(cat "$logs"/cuda_tests.log "$logs"/nccl_tests.log "$logs"/trainer.log 2>/dev/null | grep -c '^\[  SKIPPED \] ' || true)
[[ $failed -eq 0 && $skipped -eq 0 ]]
