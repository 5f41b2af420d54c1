#!/usr/bin/env bash
# Tango's trained models in PyTorch Geometric, and PyG's in Tango, on cora: the model file's names and
# layouts (trainer/model_file.h) checked against real GCNConv / SAGEConv / GATConv modules.
#
#   bench/pyg_interop.sh [--build DIR] [--work DIR] [--models gcn,sage,gat] [--epochs N] [--ranks K]
#                        [--threads T]
#
# For each model, with docs/ACCURACY.md's settings (those of bench/compare_pyg.sh) and --normalize-features:
#   Tango -> PyG  tango-train --save-model M --predictions P --summary S (K ranks: --partition K), then
#                 bench/pyg_interop.py tango-in-pyg: bench/pyg_train.py's Net with
#                 load_state_dict(safetensors.torch.load_file(M)) has S's test accuracy (within 0.1 pp) and
#                 P's logits (within 1e-5 + 1e-4 |x|).
#   PyG -> Tango  bench/pyg_train.py --save-model M2 (PyG trains), tango-predict --model M2 (K ranks), then
#                 bench/pyg_interop.py pyg-in-tango: at least 99.9% of the nodes get the same class.
# Prints a table; every run's figures go to WORK/interop.json (default WORK: BUILD/pyg-interop).
# PyTorch and PyG come from the venv of bench/compare_pyg.sh (BUILD/bench-venv, bench/pyg_venv.sh; or
# TANGO_PYG_VENV, a venv kept across build folders).
# Exit codes: 0 every bound held, 1 a bound missed or a step failed (its log named), 2 usage,
# 77 skipped: the venv cannot be made or cora is not there (the reason printed).
# Environment: TANGO_DATA_DIR (cora/; default ../shared/datasets beside the repository), TANGO_PYG_VENV.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
work_dir=""
models="gcn,sage,gat"
epochs=200
ranks=1
threads=2

# shellcheck source=scripts/cli_lib.sh
source "$repo_root/scripts/cli_lib.sh" # die, usage, need_value
# shellcheck source=bench/pyg_venv.sh
source "$repo_root/bench/pyg_venv.sh" # ensure_pyg_venv
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --build) need_value "$@"; build_dir="$2"; shift 2 ;;
    --work) need_value "$@"; work_dir="$2"; shift 2 ;;
    --models) need_value "$@"; models="$2"; shift 2 ;;
    --epochs) need_value "$@"; epochs="$2"; shift 2 ;;
    --ranks) need_value "$@"; ranks="$2"; shift 2 ;;
    --threads) need_value "$@"; threads="$2"; shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for n in "$epochs" "$ranks" "$threads"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive integer"; done
IFS=, read -r -a model_list <<< "$models"
for m in "${model_list[@]}"; do [[ "$m" =~ ^(gcn|sage|gat)$ ]] || die "--models: '$m' is not gcn, sage or gat"; done
build_dir="$(cd "$build_dir" 2> /dev/null && pwd)" || die "build directory not found (pass --build DIR)"
bin="$build_dir/bin"
for b in tango-train tango-predict tango-dataset; do
  [[ -x "$bin/$b" ]] || die "$bin/$b not found: build it (or pass --build DIR)"
done
work_dir="${work_dir:-$build_dir/pyg-interop}"
venv="${TANGO_PYG_VENV:-$build_dir/bench-venv}"
data_dir="${TANGO_DATA_DIR:-$repo_root/../shared/datasets}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TANGO_LOG_LEVEL="${TANGO_LOG_LEVEL:-warn}"
log() { echo "pyg_interop.sh: $*" >&2; }
skip() { echo "SKIPPED: $*"; exit 77; }

[[ -d "$data_dir/cora/raw" ]] || skip "cora not found at $data_dir/cora (set TANGO_DATA_DIR)"
ensure_pyg_venv "$venv" || skip "no PyTorch Geometric venv at $venv (the reason is above)"
mkdir -p "$work_dir"
data="$work_dir/cora.h5"
[[ -s "$data" ]] || "$bin/tango-dataset" convert "$data_dir/cora" --out "$data" > "$work_dir/convert.log" 2>&1 ||
  { cat "$work_dir/convert.log"; exit 1; }

gcn_args=(--model gcn --layers 2 --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4)
sage_args=(--model sage --layers 2 --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4)
gat_args=(--model gat --layers 2 --heads 8 --hidden 8 --activation elu --dropout 0.6 --attn-dropout 0.6
  --lr 0.005 --weight-decay 5e-4)
# tango-train / tango-predict on K ranks: tango-run, the dataset partitioned in memory.
tango() {
  local program=$1
  shift
  if [[ $ranks -eq 1 ]]; then
    OMP_NUM_THREADS=$threads "$bin/$program" --dataset "$data" "$@"
  else
    "$repo_root/launch/tango-run" -np "$ranks" -- "$bin/$program" --dataset "$data" --partition "$ranks" "$@"
  fi
}
# step NAME COMMAND...: runs it with its output in WORK/NAME.log; a failure names the log.
step() {
  local name=$1
  shift
  if ! "$@" > "$work_dir/$name.log" 2>&1; then
    tail -5 "$work_dir/$name.log" >&2
    log "$name failed; see $work_dir/$name.log"
    return 1
  fi
}

status=0
results="$work_dir/interop.jsonl"
: > "$results"
for model in "${model_list[@]}"; do
  declare -n margs="${model}_args"
  w="$work_dir/$model"
  rm -f "$w".*
  log "$model: Tango -> PyG"
  if step "$model-tango-train" tango tango-train "${margs[@]}" --normalize-features --epochs "$epochs" --device cpu \
    --quiet --save-model "$w.tango.safetensors" --predictions "$w.tango.h5" --summary "$w.tango.json" &&
    step "$model-tango-in-pyg" "$venv/bin/python" "$repo_root/bench/pyg_interop.py" tango-in-pyg --data "$data" \
      --model "$w.tango.safetensors" --predictions "$w.tango.h5" --summary "$w.tango.json" --threads "$threads"; then
    tail -1 "$work_dir/$model-tango-in-pyg.log" >> "$results"
  else
    status=1
  fi
  log "$model: PyG -> Tango"
  if step "$model-pyg-train" "$venv/bin/python" "$repo_root/bench/pyg_train.py" --data "$data" "${margs[@]}" \
    --normalize-features --epochs "$epochs" --threads "$threads" --save-model "$w.pyg.safetensors" \
    --out "$w.pyg.json" &&
    step "$model-tango-predict" tango tango-predict --model "$w.pyg.safetensors" --out "$w.pyg-in-tango.h5" \
      --summary "$w.pyg-in-tango.json" --device cpu &&
    step "$model-pyg-in-tango" "$venv/bin/python" "$repo_root/bench/pyg_interop.py" pyg-in-tango --data "$data" \
      --model "$w.pyg.safetensors" --predictions "$w.pyg-in-tango.h5" --threads "$threads"; then
    tail -1 "$work_dir/$model-pyg-in-tango.log" >> "$results"
  else
    status=1
  fi
  unset -n margs
done

python3 - "$results" "$work_dir/interop.json" "$epochs" "$ranks" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
json.dump({"epochs": int(sys.argv[3]), "ranks": int(sys.argv[4]), "runs": rows}, open(sys.argv[2], "w"), indent=1)
print(f"| model | direction | test acc (Tango) | test acc (PyG) | same class | max logit diff |")
print("|---|---|---|---|---|---|")
for r in rows:
    tango = r.get("tango_summary_test_acc", r["tango_predictions_test_acc"])
    diff = f"{r['max_abs_logit_diff']:.2g}" if "max_abs_logit_diff" in r else "-"
    print(f"| {r['model']} | {r['direction']} | {tango:.4f} | {r['pyg_test_acc']:.4f} | "
          f"{r['prediction_agreement']:.2%} | {diff} |")
    for f in r["failures"]:
        print(f"FAILED: {r['model']} {r['direction']}: {f}")
PY
exit $status
