#!/usr/bin/env python3
"""Tango's model files against PyTorch Geometric, both ways (bench/pyg_interop.sh runs it in its venv).

  tango-in-pyg --data D.h5 --model M.safetensors --predictions P.h5 --summary S.json
      M and P come from `tango-train --save-model M --predictions P --summary S` on D. Builds
      bench/pyg_train.py's Net from M's __metadata__ (GCNConv / SAGEConv / GATConv, dropout before every
      layer, the activation between layers), loads M with model.load_state_dict(safetensors.torch.load_file(M))
      (strict: every name and shape must match), runs it on D without dropout and compares: its test accuracy
      with S's test_acc (at most --max-acc-diff apart) and every logit with P's /logits (|pyg - tango| <=
      --atol + --rtol * |tango|: fp32 sums in another order; a row's longest sum, cora's 1433 features, times
      fp32's 6e-8 rounding is ~1e-4 of its magnitude).
  pyg-in-tango --data D.h5 --model M.safetensors --predictions P.h5
      M is PyG-trained (`pyg_train.py --save-model M`), P is `tango-predict --model M --out P` on D: the
      share of nodes whose predicted class PyG and Tango agree on (at least --min-agreement), and both test
      accuracies.
D is a dataset in Tango's HDF5 layout (`tango-dataset convert`), so both see the same graph and node order;
the feature normalisation is M's (normalize_features). Prints one JSON object; exit 1 when a bound is missed.
"""
import argparse
import json
import os
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("direction", choices=("tango-in-pyg", "pyg-in-tango"))
    p.add_argument("--data", required=True, help="dataset in Tango's HDF5 layout")
    p.add_argument("--model", required=True, help="model file (safetensors, trainer/model_file.h)")
    p.add_argument("--predictions", required=True, help="Tango's predictions file of that model on --data")
    p.add_argument("--summary", help="tango-train's summary JSON (tango-in-pyg)")
    p.add_argument("--max-acc-diff", type=float, default=0.001, help="test accuracy bound (0.001 = 0.1 pp)")
    p.add_argument("--atol", type=float, default=1e-5, help="logit bound, absolute part")
    p.add_argument("--rtol", type=float, default=1e-4, help="logit bound, relative part")
    p.add_argument("--min-agreement", type=float, default=0.999, help="pyg-in-tango: share of equal predictions")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    return p.parse_args()


def main():
    args = parse_args()
    import h5py
    import numpy as np
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pyg_train

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    with safe_open(args.model, "pt") as f:
        meta = f.metadata()
    net_args = argparse.Namespace(model=meta["model"], layers=int(meta["layers"]), hidden=int(meta["hidden"]),
                                  heads=int(meta["heads"]), activation=meta["activation"], dropout=0.0,
                                  attn_dropout=0.0, init="pyg")
    x, y, edge_index, _, masks, num_classes = pyg_train.load(args.data, meta["normalize_features"] == "true", torch)
    net = pyg_train.build_model(net_args, x.shape[1], int(meta["num_classes"]), torch)
    net.load_state_dict(load_file(args.model), strict=True)
    net.eval()
    with torch.no_grad():
        logits = net(x, edge_index)
    predicted = logits.argmax(dim=-1)
    test = masks["test"]
    pyg_test_acc = float((predicted[test] == y[test]).sum()) / int(test.sum())
    with h5py.File(args.predictions, "r") as f:
        tango_logits = np.asarray(f["/logits"][:])
        tango_predicted = np.asarray(f["/prediction"][:])
    pyg_predicted = predicted.numpy()
    tango_test_acc = float((tango_predicted[test.numpy()] == y.numpy()[test.numpy()]).mean())
    agreement = float((pyg_predicted == tango_predicted).mean())
    result = {"direction": args.direction, "model": meta["model"], "nodes": int(x.shape[0]),
              "pyg_test_acc": pyg_test_acc, "tango_predictions_test_acc": tango_test_acc,
              "prediction_agreement": agreement, "torch": torch.__version__,
              "torch_geometric": __import__("torch_geometric").__version__}
    failures = []
    if args.direction == "tango-in-pyg":
        with open(args.summary) as f:
            summary_test_acc = json.load(f)["test_acc"]
        diff = np.abs(logits.numpy() - tango_logits)
        bound = args.atol + args.rtol * np.abs(tango_logits)
        result.update(tango_summary_test_acc=summary_test_acc, acc_diff=abs(pyg_test_acc - summary_test_acc),
                      max_abs_logit_diff=float(diff.max()),
                      max_rel_logit_diff=float((diff / np.maximum(np.abs(tango_logits), 1e-30)).max()),
                      logits_outside_bound=int((diff > bound).sum()), atol=args.atol, rtol=args.rtol)
        if result["acc_diff"] > args.max_acc_diff:
            failures.append(f"test accuracy {pyg_test_acc:.4f} in PyG vs {summary_test_acc:.4f} in Tango's summary")
        if result["logits_outside_bound"] > 0:
            failures.append(f"{result['logits_outside_bound']} logits differ by more than {args.atol} + "
                            f"{args.rtol} |x| (max {result['max_abs_logit_diff']:.3g})")
    elif agreement < args.min_agreement:
        failures.append(f"PyG and tango-predict agree on {agreement:.4%} of the predictions, "
                        f"below {args.min_agreement:.1%}")
    result["failures"] = failures
    print(json.dumps(result))
    for failure in failures:
        print(f"pyg_interop.py: {args.model}: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
