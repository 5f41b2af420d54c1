# Shared by the example scripts (sourced): where the binaries and data are, how to run a step, and
# the smoke mode that CI uses. Not meant to be run by itself.
#   TANGO_BUILD        build directory with bin/tango-partition and bin/tango-train (default: build)
#   TANGO_DATA_DIR     folder with cora/ and facebook/ (default: ../shared/datasets beside the repo)
#   TANGO_EXAMPLE_OUT  where an example writes its partitions, metrics and summaries
#                      (default: ./tango-examples/<example name>)
#   --smoke            (first argument of an example) a few epochs only: what CI runs
# When tango-train is not built, an example runs its partition steps and says that it skipped training.
# shellcheck shell=bash
set -euo pipefail

example_name="$(basename "$0" .sh)"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${TANGO_BUILD:-$repo_root/build}"
partition_bin="${TANGO_PARTITION_BIN:-$build_dir/bin/tango-partition}"
train_bin="${TANGO_TRAIN_BIN:-$build_dir/bin/tango-train}"
tango_run="$repo_root/launch/tango-run"
# shellcheck disable=SC2034  # used by the examples that source this file
data_dir="${TANGO_DATA_DIR:-$repo_root/../shared/datasets}"
out_dir="${TANGO_EXAMPLE_OUT:-$PWD/tango-examples/$example_name}"
smoke=0
if [[ "${1:-}" == "--smoke" ]]; then smoke=1; fi
trained=1

say() { echo "[$example_name] $*"; }
die() {
  echo "[$example_name] error: $*" >&2
  exit 2
}

[[ -x "$partition_bin" ]] || die "tango-partition not found at $partition_bin: run 'make build' (or set TANGO_BUILD)"
mkdir -p "$out_dir"

# partition DATASET K DIR: tango-partition into DIR (replacing what an earlier run left there).
partition() {
  say "tango-partition $1 --parts $2 --out $3"
  "$partition_bin" "$1" --parts "$2" --out "$3" --force
}

# have_train: true when tango-train is built; otherwise says which step is skipped.
have_train() {
  if [[ -x "$train_bin" ]]; then return 0; fi
  say "SKIPPED training ($*): tango-train is not built yet ($train_bin)"
  trained=0
  return 1
}

# train NP ARGS...: tango-train on NP ranks through tango-run (1 rank: run directly).
train() {
  local np="$1"
  shift
  if [[ "$np" -eq 1 ]]; then
    say "tango-train $*"
    "$train_bin" "$@"
  else
    "$tango_run" -np "$np" -- "$train_bin" "$@"
  fi
}

# summary_line FILE: one line with the headline figures of a run's summary JSON.
summary_line() {
  python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sent, fp32 = s.get("bytes_sent", 0), s.get("bytes_fp32", 0)
mb = 1e6
halo = f"halo {sent / mb:.2f} MB sent vs {fp32 / mb:.2f} MB fp32 ({fp32 / sent:.1f}x less)" if sent else "no halo"
print(f"test_acc {100 * s['test_acc']:.2f}%  best_valid {100 * s['best_valid_acc']:.2f}%  "
      f"ranks {s['ranks']}  {s['epoch_ms_mean']:.1f} ms/epoch  {halo}")
PY
}

# finish: exit 0, or 77 (skipped) in smoke mode when training could not run.
finish() {
  if [[ $trained -eq 0 ]]; then
    say "partition steps done in $out_dir; training skipped (tango-train not built)"
    if [[ $smoke -eq 1 ]]; then exit 77; fi
    exit 0
  fi
  say "done; outputs in $out_dir"
}
