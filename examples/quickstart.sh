#!/usr/bin/env bash
# Quick start: a synthetic graph (8 classes whose features and edges carry the class signal) split into
# 4 parts, trained by 4 ranks with INT8 local primitives and int4 forward / int8 backward halo messages.
#   examples/quickstart.sh [--smoke]
# Needs `make build`. On a GPU box add TANGO_GPUS_PER_NODE=4 to put one rank on each GPU.
source "$(dirname "$0")/common.sh"

dataset="synthetic:nodes=20000,avg_degree=16,classes=8,features=64,homophily=0.8,seed=1"
epochs=100
if [[ $smoke -eq 1 ]]; then
  dataset="synthetic:nodes=2000,avg_degree=10,classes=4,features=16,seed=1"
  epochs=3
fi

partition "$dataset" 4 "$out_dir/parts"
if have_train "4 ranks, GCN, int8"; then
  gpu_args=()
  if [[ "${TANGO_GPUS_PER_NODE:-0}" -gt 0 ]]; then gpu_args=(--gpus-per-node "$TANGO_GPUS_PER_NODE"); fi
  "$tango_run" -np 4 "${gpu_args[@]}" -- "$train_bin" --parts "$out_dir/parts" --model gcn --hidden 64 \
    --epochs "$epochs" --precision int8 --halo-bits fwd=4,bwd=8 \
    --metrics "$out_dir/metrics.jsonl" --summary "$out_dir/summary.json"
  say "$(summary_line "$out_dir/summary.json")"
  say "plot it: scripts/plot_metrics.py $out_dir/metrics.jsonl --out $out_dir/metrics.png"
fi
finish
