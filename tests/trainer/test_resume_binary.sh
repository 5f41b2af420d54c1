#!/usr/bin/env bash
# tango-train's checkpoints at the binary level, across rank counts and partitions of one dataset:
# 4 ranks on a 4-part partition (tango-partition) x 3 epochs, --resume on 2 ranks on a 2-part partition
# to epoch 6, --resume on 1 rank reading the dataset itself (--dataset) to epoch 8: every epoch's loss
# in the one metrics file within 1e-5 relative of 4 ranks x 8 epochs straight (GraphSAGE, fp32,
# dropout 0.5), one checkpoint file per epoch, the newest --checkpoint-keep kept. Then what must be
# refused: another configuration, another dataset, a truncated and a changed checkpoint, files named
# like per-rank checkpoints of format 2 that are not: each exits 2 with one clear line and leaves every
# file of the run as it was. (Real format-2 checkpoints resume: tests/trainer/mpi/resume_test.cc.)
#   tests/trainer/test_resume_binary.sh BUILD_DIR MPIEXEC
# Exit 77 (skipped) while the binaries are not built.
set -uo pipefail

build_dir="${1:?usage: $0 BUILD_DIR MPIEXEC}"
mpiexec="${2:?usage: $0 BUILD_DIR MPIEXEC}"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tests/common/checks.sh
source "$here/../common/checks.sh"
train_bin="$build_dir/bin/tango-train"
partition_bin="$build_dir/bin/tango-partition"
[[ -x "$train_bin" && -x "$partition_bin" ]] || skip_test "tango-train or tango-partition is not built in $build_dir"
# info: the "resuming after epoch N" line.
export ASAN_OPTIONS=detect_leaks=0 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TANGO_LOG_LEVEL=info

work="$(mktemp -d /tmp/tango-resume-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
dataset="synthetic:nodes=600,avg_degree=8,classes=4,features=16,homophily=0.7,seed=3"
other_dataset="synthetic:nodes=600,avg_degree=8,classes=4,features=16,homophily=0.7,seed=4"
flags=(--model sage --layers 3 --hidden 16 --dropout 0.5 --quiet)

# train NP ARGS...: tango-train on NP ranks; output in $work/out, exit code returned.
train() {
  local np="$1"
  shift
  "$mpiexec" -np "$np" --oversubscribe --bind-to none "$train_bin" "${flags[@]}" "$@" >"$work/out" 2>&1
}
# Every file of the run with its checksum: what a refused resume must not change.
snapshot() { (cd "$work" && find run -type f -print0 | sort -z | xargs -0 sha256sum); }

"$partition_bin" "$dataset" --parts 4 --out "$work/p4" >/dev/null 2>&1
"$partition_bin" "$dataset" --parts 2 --out "$work/p2" >/dev/null 2>&1
check "partitions into 4 and 2 parts" test -s "$work/p4/manifest.json" -a -s "$work/p2/manifest.json"

train 4 --parts "$work/p4" --epochs 8 --metrics "$work/straight.jsonl"
check "4 ranks x 8 epochs straight" test $? -eq 0
ckpt="$work/run/checkpoints"
train 4 --parts "$work/p4" --epochs 3 --checkpoint-dir "$ckpt" --checkpoint-every 1 --checkpoint-keep 2 \
  --metrics "$work/run/metrics.jsonl"
check "4 ranks x 3 epochs with a checkpoint every epoch" test $? -eq 0
check "one file per epoch, the newest 2 kept (ckpt-e000002.h5, ckpt-e000003.h5)" \
  test "$(cd "$ckpt" && ls)" = "$(printf 'ckpt-e000002.h5\nckpt-e000003.h5')"
train 2 --parts "$work/p2" --epochs 6 --checkpoint-dir "$ckpt" --checkpoint-every 1 --resume \
  --metrics "$work/run/metrics.jsonl"
status=$?
check "--resume on 2 ranks of another partition continues (exit $status)" test $status -eq 0
check "... after epoch 3, from the 4-rank checkpoint" grep -q "resuming after epoch 3 .*written by 4 rank(s), resumed on 2" "$work/out"
train 1 --dataset "$dataset" --epochs 8 --checkpoint-dir "$ckpt" --resume --metrics "$work/run/metrics.jsonl"
status=$?
check "--resume on 1 rank reading --dataset continues (exit $status)" test $status -eq 0
check "... after epoch 6" grep -q "resuming after epoch 6 .*written by 2 rank(s), resumed on 1" "$work/out"
compare=$(python3 - "$work/straight.jsonl" "$work/run/metrics.jsonl" <<'PY'
import json, sys
straight = [json.loads(line) for line in open(sys.argv[1])]
resumed = [json.loads(line) for line in open(sys.argv[2])]
assert [r["epoch"] for r in resumed] == list(range(1, 9)), [r["epoch"] for r in resumed]
worst = max(abs(a["loss"] - b["loss"]) / abs(b["loss"]) for a, b in zip(resumed, straight))
print(f"{worst:.3g}")
sys.exit(0 if worst < 1e-5 else 1)
PY
)
status=$?
check "epochs 1-8 (4, then 2, then 1 rank) within 1e-5 relative of 4 ranks straight (max $compare)" test $status -eq 0

# refused NAME NEEDLE ARGS...: a resume on 2 ranks that must exit 2 with NEEDLE on a tango-train error
# line, and change no file of the run.
refused() {
  local name="$1" needle="$2" before after status
  shift 2
  before="$(snapshot)"
  train 2 --checkpoint-dir "$ckpt" --resume --metrics "$work/run/metrics.jsonl" "$@"
  status=$?
  after="$(snapshot)"
  check "$name: exit 2 (got $status)" test $status -eq 2
  check "$name: says '$needle'" grep -q "tango-train: error: .*$needle" "$work/out"
  if ! grep -q "tango-train: error: .*$needle" "$work/out"; then cat "$work/out"; fi
  check "$name: no file of the run changed" test "$before" = "$after"
}
refused "another configuration" "lr: 0.01 in the checkpoint, 0.05 now" --parts "$work/p2" --epochs 10 --lr 0.05
refused "another dataset" "was written for dataset 'synthetic:.*seed=3' (600 nodes, .* but this run reads dataset 'synthetic:.*seed=4'" \
  --dataset "$other_dataset" --partition 2 --epochs 10
newest="$ckpt/ckpt-e000008.h5"
cp "$newest" "$work/good.h5"
head -c 3000 "$work/good.h5" >"$newest"
refused "a truncated checkpoint" "checkpoint '$newest' cannot be resumed" --parts "$work/p2" --epochs 10
python3 - "$work/good.h5" "$newest" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(data) // 2, len(data)):  # the second half: tensors' data and HDF5 metadata
    data[i] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
refused "a changed checkpoint" "checkpoint '$newest' cannot be resumed" --parts "$work/p2" --epochs 10
cp "$work/good.h5" "$newest"
mkdir -p "$work/run/old"
cp "$work/good.h5" "$work/run/old/ckpt-e000008-r0000.h5"
cp "$work/good.h5" "$work/run/old/ckpt-e000008-r0001.h5"
ckpt="$work/run/old"
refused "files named like per-rank checkpoints of format 2 that are not" \
  "is named like a per-rank checkpoint of format 2 but is not one" --parts "$work/p2" --epochs 10
finish_checks
