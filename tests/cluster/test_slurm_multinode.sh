#!/usr/bin/env bash
# launch/slurm/pipeline.sh --nodes 2 on a Slurm cluster over two emulated hosts (network namespaces
# of netns_cluster.sh, slurmctld on the first, one slurmd on each): a synthetic graph is partitioned
# into 2 parts by a Slurm job, then a 2-node training job (1 rank per node, launcher chosen by
# train.sbatch: srun --mpi=pmix here) trains on them; then a --skip-partition resubmission with
# TANGO_LAUNCHER=mpirun (tango-run inside the allocation; OpenMPI starts its daemon on the other host
# through srun) resumes from the checkpoints. For each training job it asserts: COMPLETED, the job
# ran on both hosts (scontrol NodeList), each rank reports the host it ran on and the two ranks are on
# PREFIX1 and PREFIX2 (the ranks are started through a wrapper that writes `hostname`), and
# summary.json counts 2 ranks on 2 hosts. At the end the cluster is stopped and no namespace of the
# test's prefix remains.
#   tests/cluster/test_slurm_multinode.sh BUILD_DIR
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
train_bin="${TANGO_TRAIN_BIN:-$build_dir/bin/tango-train}"
[[ -x "$TANGO_PARTITION_BIN" ]] || skip_test "tango-partition is not built ($TANGO_PARTITION_BIN)"
[[ -x "$train_bin" ]] || skip_test "tango-train is not built ($train_bin)"
train_bin="$(readlink -f "$train_bin")"

# Host names of its own (PREFIX1, PREFIX2, switch PREFIX-sw): no clash with other tests' hosts.
prefix="ts$(($$ % 10000000))n"
started=$SECONDS
start_test_cluster_on_hosts 2 "$prefix"
echo "cluster up on ${prefix}1 and ${prefix}2 in $((SECONDS - started)) s"

# Each rank goes through this wrapper: it records the host it runs on, then becomes tango-train.
out="$cluster_dir/pipeline"
mkdir -p "$out"
wrapper="$cluster_dir/rank-host"
cat >"$wrapper" <<EOF
#!/usr/bin/env bash
rank="\${OMPI_COMM_WORLD_RANK:-\${PMIX_RANK:-\${SLURM_PROCID:-unknown}}}"
mkdir -p "\$TANGO_RANK_HOSTS_DIR"
hostname >"\$TANGO_RANK_HOSTS_DIR/rank-\$rank"
echo "rank \$rank runs on \$(hostname)"
exec "$train_bin" "\$@"
EOF
chmod +x "$wrapper"
export TANGO_TRAIN_BIN="$wrapper"

# check_spread JOB RUN_LABEL: the job's nodes, its ranks' hosts and its summary.
check_spread() {
  local job="$1" label="$2" nodes hosts
  nodes="$(scontrol show hostnames "$(job_field "$job" NodeList)" 2>/dev/null | sort | tr '\n' ' ')"
  check "$label job $job ran on ${prefix}1 and ${prefix}2 (NodeList: $nodes)" \
    test "$nodes" = "${prefix}1 ${prefix}2 "
  hosts="$(cat "$TANGO_RANK_HOSTS_DIR"/rank-0 "$TANGO_RANK_HOSTS_DIR"/rank-1 2>/dev/null | sort | tr '\n' ' ')"
  check "$label: rank 0 and rank 1 ran on ${prefix}1 and ${prefix}2 (ranks' hosts: $hosts)" \
    test "$hosts" = "${prefix}1 ${prefix}2 "
  check "$label: exactly 2 ranks reported" test "$(find "$TANGO_RANK_HOSTS_DIR" -name 'rank-*' | wc -l)" -eq 2
  check "$label: summary.json counts 2 ranks" grep -q '"ranks": *2' "$out/run/summary.json"
  check "$label: summary.json counts 2 hosts" grep -q '"hosts": *2' "$out/run/summary.json"
}

dataset="synthetic:nodes=2000,avg_degree=8,classes=4,features=16,homophily=0.8,seed=1"
epochs=3
export TANGO_RANK_HOSTS_DIR="$out/hosts-srun"
submitted=$("$repo_root/launch/slurm/pipeline.sh" --dataset "$dataset" --out "$out" --nodes 2 --ranks-per-node 1 \
  --cpus-per-rank 1 --partition-cpus 1 --time 00:10:00 --partition-time 00:10:00 -- \
  --model gcn --epochs "$epochs" --hidden 16 --checkpoint-every 1 2>&1)
echo "$submitted"
partition_job=$(sed -n 's/^partition job: \([0-9]*\).*/\1/p' <<<"$submitted")
train_job=$(sed -n 's/^train job: \([0-9]*\).*/\1/p' <<<"$submitted")
check "pipeline.sh printed both job ids ($partition_job, $train_job)" test -n "$partition_job" -a -n "$train_job"
[[ -n "$partition_job" && -n "$train_job" ]] || finish_checks || exit 1

state=$(wait_job "$partition_job" 120)
check "partition job $partition_job COMPLETED (state $state)" test "$state" = COMPLETED
if [[ "$state" != COMPLETED ]]; then cat "$out/logs/tango-partition-$partition_job.out"; fi
check "two part files written" test "$(find "$out/parts" -maxdepth 1 -name 'part-*.h5' | wc -l)" -eq 2

state=$(wait_job "$train_job" 120)
log="$out/logs/tango-train-$train_job.out"
check "2-node train job $train_job COMPLETED (state $state)" test "$state" = COMPLETED
if [[ "$state" != COMPLETED ]]; then cat "$log"; else tail -n 4 "$log"; fi
check "train.sbatch chose srun --mpi=pmix" grep -q "2 ranks (1 per node, 1 threads each) via srun" "$log"
check "summary.json written" test -s "$out/run/summary.json"
check "metrics.jsonl has one line per epoch" test "$(wc -l <"$out/run/metrics.jsonl" 2>/dev/null)" -eq "$epochs"
check_spread "$train_job" "srun"

# The mpirun fallback over the same hosts, continuing the run from its checkpoints.
more=$((epochs + 2))
export TANGO_RANK_HOSTS_DIR="$out/hosts-mpirun"
resubmitted=$(TANGO_LAUNCHER=mpirun "$repo_root/launch/slurm/pipeline.sh" --skip-partition --out "$out" --nodes 2 \
  --ranks-per-node 1 --cpus-per-rank 1 --time 00:10:00 -- --model gcn --epochs "$more" --hidden 16 \
  --checkpoint-every 1 2>&1)
mpirun_job=$(sed -n 's/^train job: \([0-9]*\).*/\1/p' <<<"$resubmitted")
check "--skip-partition submits one train job ($mpirun_job)" test -n "$mpirun_job"
state=$(wait_job "$mpirun_job" 120)
log="$out/logs/tango-train-$mpirun_job.out"
check "2-node mpirun train job $mpirun_job COMPLETED (state $state)" test "$state" = COMPLETED
if [[ "$state" != COMPLETED ]]; then cat "$log"; else tail -n 3 "$log"; fi
check "launched through tango-run (mpirun -np 2)" grep -q "tango-run: .*mpirun -np 2" "$log"
check "it resumed from the checkpoints" grep -q "checkpoint found" "$log"
check "the summary counts $more epochs" grep -q "\"epochs\": *$more" "$out/run/summary.json"
check_spread "$mpirun_job" "mpirun"

# Clean-up leaves no host behind.
stop_test_cluster
left="$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^${prefix}([0-9]+|-sw)$" | tr '\n' ' ')"
check "no namespace of prefix $prefix remains (${left:-none})" test -z "$left"
check "the netns hosts file of ${prefix}1 is gone" test ! -e "/etc/netns/${prefix}1"
echo "took $((SECONDS - started)) s"
finish_checks
