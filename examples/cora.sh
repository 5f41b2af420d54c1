#!/usr/bin/env bash
# Cora (2,708 nodes, public split), GCN: 1 rank vs 4 ranks, fp32 vs int8 local primitives. With fp32
# and no dropout the 4-rank losses equal the 1-rank ones up to float rounding (full-graph training is
# exact); with the defaults (dropout 0.5) the accuracies agree within noise.
#   examples/cora.sh [--smoke]
# Needs `make build` and the dataset at $TANGO_DATA_DIR/cora (default ../shared/datasets/cora).
source "$(dirname "$0")/common.sh"

cora="$data_dir/cora"
[[ -d "$cora/raw" ]] || die "cora not found at $cora: set TANGO_DATA_DIR to the folder holding cora/"
epochs=200
if [[ $smoke -eq 1 ]]; then epochs=3; fi
common_args=(--model gcn --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4 --epochs "$epochs" --seed 1)

partition "$cora" 4 "$out_dir/parts-4"
if have_train "1 and 4 ranks, fp32 and int8"; then
  for precision in fp32 int8; do
    train 1 --dataset "$cora" "${common_args[@]}" --precision "$precision" \
      --metrics "$out_dir/1rank-$precision.jsonl" --summary "$out_dir/1rank-$precision.json"
    train 4 --parts "$out_dir/parts-4" "${common_args[@]}" --precision "$precision" \
      --metrics "$out_dir/4rank-$precision.jsonl" --summary "$out_dir/4rank-$precision.json"
  done
  for run in 1rank-fp32 4rank-fp32 1rank-int8 4rank-int8; do
    say "$run: $(summary_line "$out_dir/$run.json")"
  done
fi
finish
