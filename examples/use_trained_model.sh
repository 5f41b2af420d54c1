#!/usr/bin/env bash
# Use the trained model: cora, GCN. tango-train keeps the best-validation model (--save-model, safetensors in
# PyTorch Geometric's layout) and every node's predictions (--predictions); tango-predict applies that model
# on 4 ranks to a partition of the graph (how a model is applied to next month's snapshot); then, with
# PyTorch Geometric, both directions: the Tango model loaded into PyG's GCNConv modules
# (model.load_state_dict(safetensors.torch.load_file(F))), and a PyG-trained model run by tango-predict.
#   examples/use_trained_model.sh [--smoke] [--pyg]
# The PyG steps run when the PyG venv exists (BUILD/bench-venv or $TANGO_PYG_VENV, made by bench/compare_pyg.sh
# or bench/pyg_interop.sh) or with --pyg, which makes it (bench/pyg_venv.sh: ~3.5 GB from PyPI, minutes).
# Needs `make build` and the dataset at $TANGO_DATA_DIR/cora (default ../shared/datasets/cora).
source "$(dirname "$0")/common.sh"

make_venv=0
if [[ " $* " == *" --pyg "* ]]; then make_venv=1; fi
cora="$data_dir/cora"
[[ -d "$cora/raw" ]] || die "cora not found at $cora: set TANGO_DATA_DIR to the folder holding cora/"
epochs=200
if [[ $smoke -eq 1 ]]; then epochs=3; fi
gcn_args=(--model gcn --layers 2 --hidden 64 --dropout 0.5 --lr 0.01 --weight-decay 5e-4 --normalize-features)
predict_bin="$build_dir/bin/tango-predict"
venv="${TANGO_PYG_VENV:-$build_dir/bench-venv}"

partition "$cora" 4 "$out_dir/parts-4"
if have_train "train, predict, PyG" && [[ -x "$predict_bin" ]]; then
  # 1. Train; keep the best-validation model and its predictions for every node.
  train 1 --dataset "$cora" "${gcn_args[@]}" --epochs "$epochs" --quiet --metrics "$out_dir/metrics.jsonl" \
    --summary "$out_dir/train.json" --save-model "$out_dir/gcn.safetensors" --predictions "$out_dir/predictions.h5"
  say "trained: $(summary_line "$out_dir/train.json")"
  # 2. Apply it, forward only, on 4 ranks to a partition of cora (other data with cora's 1433 features and 7
  # classes, a newer snapshot say, needs --allow-other-dataset).
  say "tango-predict on 4 ranks"
  "$tango_run" -np 4 -- "$predict_bin" --model "$out_dir/gcn.safetensors" --parts "$out_dir/parts-4" \
    --out "$out_dir/predictions-4ranks.h5" --summary "$out_dir/predict-4ranks.json"

  # 3. PyTorch Geometric, both ways.
  if [[ $make_venv -eq 1 ]]; then
    source "$repo_root/bench/pyg_venv.sh"
    ensure_pyg_venv "$venv" || die "no PyTorch Geometric venv at $venv (see above)"
  fi
  if [[ -f "$venv/.tango-requirements" ]]; then
    "$build_dir/bin/tango-dataset" convert "$cora" --out "$out_dir/cora.h5" > /dev/null
    say "the Tango model in PyTorch Geometric"
    "$venv/bin/python" - "$repo_root/bench" "$out_dir/cora.h5" "$out_dir/gcn.safetensors" 2> /dev/null <<'PY'
import argparse, sys
import torch
from safetensors import safe_open
from safetensors.torch import load_file
sys.path.insert(0, sys.argv[1])
from pyg_train import build_model, load  # bench/pyg_train.py: convs = [GCNConv(1433, 64), GCNConv(64, 7)]

data, model_file = sys.argv[2], sys.argv[3]
with safe_open(model_file, "pt") as f:
    meta = f.metadata()  # model, layers, hidden, heads, activation, normalize_features, ...
net_args = argparse.Namespace(model=meta["model"], layers=int(meta["layers"]), hidden=int(meta["hidden"]),
                              heads=int(meta["heads"]), activation=meta["activation"], dropout=0.0,
                              attn_dropout=0.0, init="pyg")
x, y, edge_index, _, masks, _ = load(data, meta["normalize_features"] == "true", torch)
net = build_model(net_args, x.shape[1], int(meta["num_classes"]), torch)
net.load_state_dict(load_file(model_file))  # PyG's own names and layouts
net.eval()
with torch.no_grad():
    predicted = net(x, edge_index).argmax(dim=-1)
test = masks["test"]
print(f"PyG with Tango's weights: test accuracy {float((predicted[test] == y[test]).float().mean()):.4f} "
      f"(Tango's summary: {meta['test_acc']})")
PY
    say "a PyG-trained model in tango-predict"
    "$venv/bin/python" "$repo_root/bench/pyg_train.py" --data "$out_dir/cora.h5" "${gcn_args[@]}" --epochs "$epochs" \
      --save-model "$out_dir/pyg-gcn.safetensors" --out "$out_dir/pyg-train.json" 2> /dev/null
    "$predict_bin" --model "$out_dir/pyg-gcn.safetensors" --dataset "$cora" --out "$out_dir/pyg-in-tango.h5" \
      --summary "$out_dir/pyg-in-tango.json"
  else
    say "PyG steps skipped: no venv at $venv (run with --pyg to make it, or bench/pyg_interop.sh)"
  fi
fi
finish
