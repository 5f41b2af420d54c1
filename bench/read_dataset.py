#!/usr/bin/env python3
"""Times Tango's OGB raw reader against pandas.read_csv on the same files, in the same run.

pandas.read_csv is what OGB's own loader (ogb.io.read_graph_raw) uses on these files. The pandas side
only parses the CSVs into arrays (as OGB does); Tango's side also symmetrizes the edges into a CSR
and validates everything, so the ratio is in pandas' favour if anything.

  python3 bench/read_dataset.py [--build build] [--dataset facebook] [--repeats 5]

pandas comes from PyPI into a venv under the build folder (build/bench-venv), never a build
dependency. Data: $TANGO_DATA_DIR/<name>, else ../shared/datasets/<name> beside the source tree.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent


def venv_python(build: Path) -> Path:
    venv = build / "bench-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import pandas"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "pandas"], check=True)
    return python


# Runs inside the venv: reads every file the way OGB's read_graph_raw does, prints seconds as JSON.
PANDAS_READER = r"""
import json, sys, time
import numpy as np, pandas as pd
root, split, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
def read(name):
    return pd.read_csv(f"{root}/{name}", compression="gzip", header=None)
times, cpu = [], []
for _ in range(repeats):
    start, cpu_start = time.perf_counter(), time.process_time()
    edges = read("raw/edge.csv.gz").values.T.astype(np.int64)
    num_nodes = read("raw/num-node-list.csv.gz").values[0, 0]
    num_edges = read("raw/num-edge-list.csv.gz").values[0, 0]
    feat = read("raw/node-feat.csv.gz").values.astype(np.float32)
    label = read("raw/node-label.csv.gz").values
    splits = {s: read(f"split/{split}/{s}.csv.gz").values.T[0] for s in ("train", "valid", "test")}
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - cpu_start)
    assert edges.shape[1] == num_edges and feat.shape[0] == num_nodes == label.shape[0]
print(json.dumps({"seconds": times, "cpu_seconds": cpu, "pandas": pd.__version__, "nodes": int(num_nodes),
                  "edges": int(num_edges), "features": int(feat.shape[1])}))
"""


def tango_seconds(build: Path, dataset: str, repeats: int) -> tuple:
    """Wall seconds and CPU seconds (all threads) per read, one entry per repetition."""
    program = build / "bench" / "read_dataset_bench"
    if not program.exists():
        sys.exit(f"{program} is missing: build first (cmake --build {build} --target read_dataset_bench)")
    out = subprocess.run(
        [str(program), f"--benchmark_filter=^read_ogb/{dataset}/", f"--benchmark_repetitions={repeats}",
         "--benchmark_report_aggregates_only=false", "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs or any(b.get("error_occurred") for b in runs):
        sys.exit(f"read_dataset_bench failed: {out[-500:]}")
    scale = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}
    return ([b["real_time"] * scale[b["time_unit"]] for b in runs], [b["process_cpu_ms"] * 1e-3 for b in runs])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(SOURCE / "build"))
    parser.add_argument("--dataset", default="facebook")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    build = Path(args.build).resolve()
    base = Path(os.environ.get("TANGO_DATA_DIR") or SOURCE.parent / "shared" / "datasets")
    root = base / args.dataset
    if not (root / "raw").is_dir():
        sys.exit(f"no dataset at {root} (set TANGO_DATA_DIR)")
    split = sorted(p.name for p in (root / "split").iterdir() if p.is_dir())[0]

    python = venv_python(build)
    # Alternate the two readers round by round, so a busy machine slows both alike.
    tango, tango_cpu, pandas, pandas_cpu = [], [], [], []
    for _ in range(args.repeats):
        wall, cpu = tango_seconds(build, args.dataset, 1)
        tango += wall
        tango_cpu += cpu
        result = json.loads(subprocess.run([str(python), "-c", PANDAS_READER, str(root), split, "1"],
                                           check=True, capture_output=True, text=True).stdout)
        pandas += result["seconds"]
        pandas_cpu += result["cpu_seconds"]
    t, p = statistics.median(tango), statistics.median(pandas)
    tc, pc = statistics.median(tango_cpu), statistics.median(pandas_cpu)
    print(f"dataset {args.dataset}: {result['nodes']} nodes, {result['edges']} edge lines, "
          f"{result['features']} features; {args.repeats} repeats, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  tango read_ogb_dir (parse + CSR + validate): wall median {t * 1e3:7.1f} ms (min {min(tango) * 1e3:.1f}), "
          f"CPU {tc * 1e3:.1f} ms")
    print(f"  pandas {result['pandas']} read_csv (parse only):     wall median {p * 1e3:7.1f} ms (min {min(pandas) * 1e3:.1f}), "
          f"CPU {pc * 1e3:.1f} ms")
    print(f"  speed-up over pandas: {p / t:.2f}x wall, {pc / tc:.2f}x less CPU time")


if __name__ == "__main__":
    main()
