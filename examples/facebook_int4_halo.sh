#!/usr/bin/env bash
# Facebook page-page (22,470 nodes, 4 classes) on 4 ranks: GCN with INT8 local primitives and 4-bit
# halo messages in both directions, against fp32 messages: accuracy and bytes sent side by side.
#   examples/facebook_int4_halo.sh [--smoke]
# Needs `make build` and the dataset at $TANGO_DATA_DIR/facebook (default ../shared/datasets/facebook).
source "$(dirname "$0")/common.sh"

facebook="$data_dir/facebook"
[[ -d "$facebook/raw" ]] || die "facebook not found at $facebook: set TANGO_DATA_DIR to the folder holding facebook/"
epochs=200
if [[ $smoke -eq 1 ]]; then epochs=3; fi
common_args=(--model gcn --hidden 128 --dropout 0.5 --lr 0.01 --epochs "$epochs" --seed 1)

partition "$facebook" 4 "$out_dir/parts"
if have_train "4 ranks, fp32 vs int4 halos"; then
  train 4 --parts "$out_dir/parts" "${common_args[@]}" --precision fp32 --halo-bits fwd=32,bwd=32 \
    --metrics "$out_dir/fp32.jsonl" --summary "$out_dir/fp32.json"
  train 4 --parts "$out_dir/parts" "${common_args[@]}" --precision int8 --halo-bits fwd=4,bwd=4 \
    --metrics "$out_dir/int4-halo.jsonl" --summary "$out_dir/int4-halo.json"
  say "fp32 messages:      $(summary_line "$out_dir/fp32.json")"
  say "int8 + int4 halos:  $(summary_line "$out_dir/int4-halo.json")"
fi
finish
