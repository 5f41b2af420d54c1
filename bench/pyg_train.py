#!/usr/bin/env python3
"""PyTorch Geometric baseline of tango-train: the same model, data and settings, timed the same way.

Reads a dataset in Tango's HDF5 layout (`tango-dataset convert SPEC --out FILE.h5`: /graph/indptr,
/graph/indices, /node/feat, /node/label, /split/{train,valid,test}), so both systems see the same
symmetric graph without self-loops and the same split. Models follow trainer/layers/*:
  gcn:  GCNConv (self-loops, symmetric D~^-1/2 (A+I) D~^-1/2 normalisation, bias), cached
        normalisation as tango-train precomputes it;
  sage: SAGEConv, mean aggregation + root weight (lin_l with bias, lin_r without);
  gat:  GATConv, `heads` heads of `hidden` columns each, concatenated, LeakyReLU 0.2, self-loops,
        attention dropout; the output layer has one head (concat=False), as tango-train.
Weights: PyG's own initialisation by default, which is tango-train's (Glorot uniform W, zero bias) for
GCNConv and GATConv but not for SAGEConv (torch.nn.Linear's: U(+-1/sqrt(fan_in)) for W and for lin_l's
bias); `--init glorot` gives every layer tango-train's Glorot W and zero bias (attention vectors stay
PyG's Glorot, as tango-train's).
Dropout before every layer, ReLU (or ELU) between layers, Adam with L2 weight decay on every
parameter, cross entropy over the training nodes. For GAT `--hidden` is per head, as in tango-train:
8 heads x 8 columns is --hidden 8 --heads 8 (a 64-wide hidden layer).

`--adjacency csr` hands the layers a torch.sparse CSR adj_t instead of edge_index (PyG's SpMM
path, no E x F message tensor): the faster and leaner PyG configuration for GCN and SAGE.

`--device cuda` trains on the GPU (tests/gpu/run.sh compares tango-train --device cuda with it on the
same graph and GPU); each timed span then ends with torch.cuda.synchronize().

Epoch time = forward + backward + optimizer step (no evaluation), median over the epochs after
`--warmup`, in wall time and in process CPU time (time.process_time: the work, on a shared machine); evaluation runs only on `--eval-every` epochs and is timed apart. Test accuracy is taken at
the best validation epoch (strictly better validation accuracy), as tango-train's summary.
Writes one JSON object (--out, or stdout), with the per-epoch loss and every evaluation's train / valid
/ test accuracy (`accuracy_history`), to compare curves with tango-train's --metrics lines.
`--save-model F.safetensors` writes the best-validation epoch's state_dict() with the __metadata__ that
tango-predict reads (trainer/model_file.h), so Tango can run the PyG-trained model (bench/pyg_interop.sh).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="dataset in Tango's HDF5 layout")
    p.add_argument("--model", choices=("gcn", "sage", "gat"), default="gcn")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--activation", choices=("relu", "elu"), default="relu")
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--attn-dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=2, help="epochs left out of the timing median")
    p.add_argument("--eval-every", type=int, default=1, help="evaluate every N epochs (and at the last)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    p.add_argument("--normalize-features", action="store_true", help="row-normalize x (as tango-train)")
    p.add_argument("--adjacency", choices=("edge_index", "csr"), default="edge_index",
                   help="edge_index: PyG's default gather/scatter messages (materializes E x F); csr: a "
                        "torch.sparse CSR adj_t, aggregated by SpMM (GCN, SAGE; PyG's memory-lean path)")
    p.add_argument("--init", choices=("pyg", "glorot"), default="pyg",
                   help="pyg: each conv's own reset_parameters; glorot: tango-train's (Glorot W, zero bias)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the model trains")
    p.add_argument("--out", help="write the result JSON here (default: stdout)")
    p.add_argument("--save-model", help="write the best-validation weights here (safetensors, tango-predict's "
                                        "metadata)")
    return p.parse_args()


def load(path, normalize, torch):
    import h5py
    import numpy as np

    with h5py.File(path, "r") as f:
        indptr = np.asarray(f["/graph/indptr"][:], dtype=np.int64)
        indices = np.asarray(f["/graph/indices"][:], dtype=np.int64)
        x = np.asarray(f["/node/feat"][:], dtype=np.float32)
        y = np.asarray(f["/node/label"][:], dtype=np.int64)
        splits = {name: np.asarray(f[f"/split/{name}"][:], dtype=np.int64) for name in ("train", "valid", "test")}
        num_classes = int(f.attrs["num_classes"])
    n = x.shape[0]
    if normalize:  # tango-train's --normalize-features: divide each row by its sum of |x| (zero rows kept)
        sums = np.abs(x).sum(axis=1, keepdims=True)
        x = x / np.where(sums == 0, 1.0, sums).astype(np.float32)
    # Row v's entries are v's neighbours; messages flow source -> target = column -> row.
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    edge_index = torch.from_numpy(np.stack([indices, rows]))
    # adj_t[target, source] is the CSR itself (Tango's layout: row v lists v's in-neighbours).
    adj_t = torch.sparse_csr_tensor(torch.from_numpy(indptr), torch.from_numpy(indices),
                                    torch.ones(indices.shape[0], dtype=torch.float32), size=(n, n))
    masks = {}
    for name, ids in splits.items():
        m = torch.zeros(n, dtype=torch.bool)
        m[torch.from_numpy(ids)] = True
        masks[name] = m
    return torch.from_numpy(x), torch.from_numpy(y), edge_index, adj_t, masks, num_classes


def build_model(args, in_features, num_classes, torch):
    from torch_geometric.nn import GATConv, GCNConv, SAGEConv

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = torch.nn.ModuleList()
            width = in_features
            for layer in range(args.layers):
                last = layer + 1 == args.layers
                out = num_classes if last else args.hidden
                if args.model == "gcn":
                    conv = GCNConv(width, out, cached=True)
                elif args.model == "sage":
                    conv = SAGEConv(width, out, aggr="mean", root_weight=True)
                else:
                    if last:
                        conv = GATConv(width, out, heads=1, concat=False, dropout=args.attn_dropout)
                    else:
                        conv = GATConv(width, out, heads=args.heads, concat=True, dropout=args.attn_dropout)
                        out *= args.heads
                self.convs.append(conv)
                width = out
            self.act = torch.nn.functional.elu if args.activation == "elu" else torch.nn.functional.relu

        def forward(self, x, edge_index):
            for layer, conv in enumerate(self.convs):
                x = torch.nn.functional.dropout(x, p=args.dropout, training=self.training)
                x = conv(x, edge_index)
                if layer + 1 < len(self.convs):
                    x = self.act(x)
            return x

    net = Net()
    if args.init == "glorot":
        from torch_geometric.nn.inits import glorot
        for name, param in net.named_parameters():
            if name.endswith("bias"):
                torch.nn.init.zeros_(param)
            elif param.dim() == 2:  # a Linear's [out, in] weight: Glorot over fan_in + fan_out
                glorot(param)
    return net


def model_metadata(args, in_features, num_classes):
    """The architecture keys of a Tango model file's __metadata__ (trainer/model_file.h), all strings."""
    return {"format": "tango-model", "format_version": "1", "model": args.model, "layers": str(args.layers),
            "in_features": str(in_features), "hidden": str(args.hidden),
            "heads": str(args.heads if args.model == "gat" else 1), "num_classes": str(num_classes),
            "activation": args.activation, "normalize_features": "true" if args.normalize_features else "false",
            "source": "bench/pyg_train.py"}


def main():
    args = parse_args()
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    load_start = time.perf_counter()
    x, y, edge_index, adj_t, masks, num_classes = load(args.data, args.normalize_features, torch)
    if args.adjacency == "csr":
        if args.model == "gat":
            sys.exit("pyg_train.py: --adjacency csr is for gcn and sage (GATConv needs edge_index)")
        graph = adj_t
    else:
        graph = edge_index
    del adj_t
    device = torch.device(args.device)
    x, y, graph = x.to(device), y.to(device), graph.to(device)
    masks = {k: m.to(device) for k, m in masks.items()}

    def sync():  # a GPU span ends when its kernels have run, not when they were queued
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    load_s = time.perf_counter() - load_start
    model = build_model(args, x.shape[1], num_classes, torch).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    train_mask = masks["train"]

    epoch_ms, cpu_ms, eval_ms, losses = [], [], [], []
    history = {"epoch": [], "train": [], "valid": [], "test": []}  # every evaluation, as tango-train's metrics
    best = {"valid_acc": -1.0, "test_acc": 0.0, "epoch": 0}
    best_state = None
    for epoch in range(1, args.epochs + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        model.train()
        optimizer.zero_grad()
        out = model(x, graph)
        loss = torch.nn.functional.cross_entropy(out[train_mask], y[train_mask])
        loss.backward()
        optimizer.step()
        sync()
        epoch_ms.append(1e3 * (time.perf_counter() - start))
        cpu_ms.append(1e3 * (time.process_time() - cpu_start))
        losses.append(float(loss))
        if epoch % args.eval_every == 0 or epoch == args.epochs:
            start = time.perf_counter()
            model.eval()
            with torch.no_grad():
                pred = model(x, graph).argmax(dim=-1)
            acc = {k: float((pred[m] == y[m]).sum()) / max(1, int(m.sum())) for k, m in masks.items()}
            sync()
            eval_ms.append(1e3 * (time.perf_counter() - start))
            history["epoch"].append(epoch)
            for k in ("train", "valid", "test"):
                history[k].append(acc[k])
            if acc["valid"] > best["valid_acc"]:
                best = {"valid_acc": acc["valid"], "test_acc": acc["test"], "epoch": epoch}
                if args.save_model:
                    best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    timed = epoch_ms[args.warmup:] if len(epoch_ms) > args.warmup else epoch_ms
    timed_cpu = cpu_ms[args.warmup:] if len(cpu_ms) > args.warmup else cpu_ms
    result = {
        "system": "pyg",
        "torch": torch.__version__,
        "torch_geometric": __import__("torch_geometric").__version__,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "data": os.path.abspath(args.data),
        "nodes": int(x.shape[0]),
        "directed_edges": int(edge_index.shape[1]),
        "config": {k: v for k, v in vars(args).items() if k not in ("out", "data")},
        "epochs": args.epochs,
        "timed_epochs": len(timed),
        "epoch_ms_median": statistics.median(timed),
        "epoch_ms_min": min(timed),
        "epoch_ms": epoch_ms,
        "cpu_ms_median": statistics.median(timed_cpu),
        "cpu_ms": cpu_ms,
        "eval_ms_median": statistics.median(eval_ms) if eval_ms else None,
        "load_s": load_s,
        "final_loss": losses[-1],
        "loss": losses,  # per epoch (training forward, with dropout), as tango-train's metrics lines
        "accuracy_history": history,
        "test_acc": best["test_acc"],
        "best_valid_acc": best["valid_acc"],
        "best_epoch": best["epoch"],
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_cuda_bytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None,
    }
    if args.save_model:
        from safetensors.torch import save_file

        metadata = model_metadata(args, x.shape[1], num_classes)
        metadata.update(best_epoch=str(best["epoch"]), test_acc=str(best["test_acc"]))
        tmp = f"{args.save_model}.tmp.{os.getpid()}"
        save_file({k: v.contiguous() for k, v in best_state.items()}, tmp, metadata=metadata)
        os.replace(tmp, args.save_model)
        result["model_file"] = os.path.abspath(args.save_model)
    text = json.dumps(result, indent=1)
    if args.out:
        tmp = f"{args.out}.tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, args.out)
    else:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
