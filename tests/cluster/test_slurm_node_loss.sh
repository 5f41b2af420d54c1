#!/usr/bin/env bash
# A Slurm job that survives losing a node: launch/slurm/pipeline.sh --nodes 1-2 on a Slurm cluster
# over two emulated hosts (netns_cluster.sh). The partition job makes the parts for 2 nodes; the
# training job starts on both hosts (2 ranks, train.sbatch --dataset), checkpoints every epoch, and
# once a few epochs are done host 2 is lost: every process on it is killed (slurmd and the rank among
# them) and the node is marked DOWN. Slurm requeues the job (--requeue); it starts again on host 1
# alone, where train.sbatch takes the 1 rank it was granted and resumes from the run's checkpoints
# (written by 2 ranks) on the dataset itself, and finishes. Checks: both starts and what each was
# granted, the requeue, the resume, every epoch once in the metrics, and the result against the same
# training run uninterrupted on one rank outside Slurm: fp32 without dropout, every epoch's loss within
# 1e-5 relative and the test accuracy within 0.2 percentage points. The hosts are removed on exit,
# whatever happens.
#   tests/cluster/test_slurm_node_loss.sh BUILD_DIR
# Binaries: BUILD_DIR/bin/tango-partition and BUILD_DIR/bin/tango-train (or TANGO_PARTITION_BIN,
# TANGO_TRAIN_BIN). Exit 77 (skipped, with the reason) without root, network namespaces, slurm-wlm
# (and no way to install it) or the binaries.
set -uo pipefail

build_dir="${1:?usage: $0 BUILD_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
# shellcheck source=tests/launch/slurm_test_lib.sh
source "$repo_root/tests/launch/slurm_test_lib.sh"

export TANGO_PARTITION_BIN="${TANGO_PARTITION_BIN:-$build_dir/bin/tango-partition}"
export TANGO_TRAIN_BIN="${TANGO_TRAIN_BIN:-$build_dir/bin/tango-train}"
[[ -x "$TANGO_PARTITION_BIN" ]] || skip_test "tango-partition is not built ($TANGO_PARTITION_BIN)"
[[ -x "$TANGO_TRAIN_BIN" ]] || skip_test "tango-train is not built ($TANGO_TRAIN_BIN)"
TANGO_TRAIN_BIN="$(readlink -f "$TANGO_TRAIN_BIN")"
TANGO_PARTITION_BIN="$(readlink -f "$TANGO_PARTITION_BIN")"

prefix="tl$(($$ % 10000000))n"
started=$SECONDS
start_test_cluster_on_hosts 2 "$prefix"
echo "cluster up on ${prefix}1 and ${prefix}2 in $((SECONDS - started)) s"
out="$cluster_dir/pipeline"
mkdir -p "$out"

# fp32 without dropout: K ranks give the losses of 1 rank up to float rounding.
# Short enough that rounding has not grown (2 ranks against 1 over 40 epochs: ~1e-7 relative; over
# hundreds of epochs the difference grows to 1e-3), long enough to lose a node half-way.
dataset="synthetic:nodes=20000,avg_degree=10,classes=4,features=32,homophily=0.6,seed=5"
epochs=40
flags=(--model sage --hidden 32 --dropout 0 --epochs "$epochs" --checkpoint-every 1 --quiet)

# The same run uninterrupted, on one rank outside Slurm.
OMP_NUM_THREADS=1 "$TANGO_TRAIN_BIN" --dataset "$dataset" "${flags[@]}" --metrics "$cluster_dir/reference.jsonl" \
  --summary "$cluster_dir/reference.json" >"$cluster_dir/reference.log" 2>&1
check "the uninterrupted reference run trains $epochs epochs" test "$(wc -l <"$cluster_dir/reference.jsonl")" -eq "$epochs"

# A rank that loses its peer stops after 10 s instead of 300 (the job is ended by Slurm anyway).
export TANGO_COMM_TIMEOUT_S=10
submitted=$("$repo_root/launch/slurm/pipeline.sh" --dataset "$dataset" --out "$out" --nodes 1-2 --ranks-per-node 1 \
  --cpus-per-rank 1 --partition-cpus 1 --time 00:10:00 --partition-time 00:10:00 -- "${flags[@]}" 2>&1)
echo "$submitted"
partition_job=$(sed -n 's/^partition job: \([0-9]*\).*/\1/p' <<<"$submitted")
train_job=$(sed -n 's/^train job: \([0-9]*\).*/\1/p' <<<"$submitted")
check "pipeline.sh --nodes 1-2 submitted both jobs ($partition_job, $train_job)" test -n "$partition_job" -a -n "$train_job"
[[ -n "$partition_job" && -n "$train_job" ]] || finish_checks || exit 1
state=$(wait_job "$partition_job" 120)
check "partition job $partition_job COMPLETED (state $state)" test "$state" = COMPLETED
check "... into the run's cache for K = 2" test -s "$out/run/parts/k2/manifest.json"

metrics="$out/run/metrics.jsonl"
log="$out/logs/tango-train-$train_job.out"
epochs_done() { if [[ -f "$metrics" ]]; then wc -l <"$metrics"; else echo 0; fi; }
# Polled every 0.2 s: host 2 goes as soon as 5 epochs are done.
deadline=$((SECONDS + 120))
while [[ $(epochs_done) -lt 5 && $SECONDS -lt $deadline && "$(job_state "$train_job")" != COMPLETED ]]; do sleep 0.2; done
# Lose host 2: every process on it (its slurmd, its rank), and the node DOWN.
"$netns_cluster" kill "$hosts_dir" 2
lost_at_epoch=$(epochs_done)
nodes="$(scontrol show hostnames "$(job_field "$train_job" NodeList)" 2>/dev/null | sort | tr '\n' ' ')"
scontrol update NodeName="${prefix}2" State=DOWN Reason="test: host lost"
echo "host ${prefix}2 lost after epoch $lost_at_epoch"
check "the train job had reached epoch 5" test "$lost_at_epoch" -ge 5
check "first start on ${prefix}1 and ${prefix}2 (NodeList: $nodes)" test "$nodes" = "${prefix}1 ${prefix}2 "
check "first start: 2 ranks on the cached partition for K = 2" \
  grep -q "2 ranks granted (2 node(s)): using the cached partition $out/run/parts/k2" "$log"
check "the job was still training when the host was lost (epoch $lost_at_epoch of $epochs)" test "$lost_at_epoch" -lt "$epochs"
requeued() { [[ "$(job_field "$train_job" Restarts)" -ge 1 && "$(job_state "$train_job")" == PENDING ]]; }
check "Slurm requeues job $train_job (PENDING, Restarts >= 1)" wait_until 60 requeued
# Slurm holds a requeued job for a while (Reason=BeginTime); release it once the old steps are gone.
old_steps_gone() { ! pgrep -f "slurmstepd: \[$train_job\." >/dev/null; }
check "the first start's steps are gone" wait_until 60 old_steps_gone
scontrol update JobId="$train_job" StartTime=now
state=$(wait_job "$train_job" 240)
check "train job $train_job COMPLETED after losing a node (state $state)" test "$state" = COMPLETED
if [[ "$state" != COMPLETED ]]; then cat "$log"; else tail -n 6 "$log"; fi
nodes="$(scontrol show hostnames "$(job_field "$train_job" NodeList)" 2>/dev/null | tr '\n' ' ')"
check "second start on ${prefix}1 alone, which the node range allows (NodeList: $nodes)" test "$nodes" = "${prefix}1 "
check "second start: 1 rank on the dataset itself" grep -q "1 rank granted (1 node(s)): training on the dataset itself" "$log"
check "second start resumes from the checkpoints" grep -q "checkpoint found in .*: resuming" "$log"
check "summary.json counts $epochs epochs on 1 rank" \
  python3 -c "import json, sys; s = json.load(open('$out/run/summary.json')); sys.exit(not (s['epochs'] == $epochs and s['ranks'] == 1 and s['resumed_from_epoch'] > 0))"

compare=$(python3 - "$cluster_dir/reference.jsonl" "$metrics" "$cluster_dir/reference.json" "$out/run/summary.json" <<'PY'
import json, sys
reference = [json.loads(line) for line in open(sys.argv[1])]
run = [json.loads(line) for line in open(sys.argv[2])]
epochs = [r["epoch"] for r in run]
if epochs != list(range(1, len(reference) + 1)):
    print(f"epochs in the metrics: {epochs[:3]}...{epochs[-3:]} ({len(epochs)} lines)")
    sys.exit(1)
worst = max(abs(a["loss"] - b["loss"]) / abs(b["loss"]) for a, b in zip(run, reference))
accuracy = (json.load(open(sys.argv[4]))["test_acc"], json.load(open(sys.argv[3]))["test_acc"])
print(f"max relative loss difference {worst:.3g}, test accuracy {accuracy[0]:.4f} vs {accuracy[1]:.4f} uninterrupted")
sys.exit(0 if worst < 1e-5 and abs(accuracy[0] - accuracy[1]) <= 0.002 else 1)
PY
)
status=$?
check "every epoch once; losses within 1e-5 relative and test accuracy within 0.2 pp of the uninterrupted run ($compare)" \
  test $status -eq 0

stop_test_cluster
left="$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^${prefix}([0-9]+|-sw)$" | tr '\n' ' ')"
check "no namespace of prefix $prefix remains (${left:-none})" test -z "$left"
echo "took $((SECONDS - started)) s"
finish_checks
