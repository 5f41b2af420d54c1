#!/usr/bin/env bash
# Faults that come with hosts, on 2 emulated hosts x 2 ranks of tango-train:
#   link-down  host 2's cable is pulled mid-training: every rank and the launcher must end non-zero
#              within TANGO_COMM_TIMEOUT_S + 30 s, a rank's line must name the unreachable host, no
#              rank may stay behind on either host (with the link still down), host 2's OpenMPI
#              daemon must end once the link is back, and the checkpoints left must be whole: the
#              run resumes from them on one host.
#   kill-host  every process on host 2 is SIGKILLed mid-training: the job ends non-zero within 30 s
#              and nothing of it stays behind on host 1.
#   lossy      1% packet loss on every link and 2 ms one-way delay (when delay_queue is built,
#              TANGO_DELAY_QUEUE): training completes with the per-epoch losses of a clean link, bit
#              for bit; the drops (nftables counters) and the delay (ping RTT) are checked to be real.
#   tests/cluster/test_faults.sh BUILD_DIR link-down|kill-host|lossy
set -uo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
build_dir="$(cd "${1:?usage: $0 BUILD_DIR MODE}" && pwd)"
mode="${2:?usage: $0 BUILD_DIR link-down|kill-host|lossy}"
source "$(dirname "$0")/cluster_test_lib.sh"
train="$build_dir/bin/tango-train"
partition="$build_dir/bin/tango-partition"
[[ -x "$train" && -x "$partition" ]] || skip_test "tango-train / tango-partition not built in $build_dir"
run="$repo_root/launch/tango-run"

make_work_dir
case "$mode" in
  lossy)
    if [[ -n "${TANGO_DELAY_QUEUE:-}" && -x "${TANGO_DELAY_QUEUE}" ]]; then
      start_test_cluster --nodes 2 --rate 1gbit --loss 1 --delay 2
      delayed=1
    else
      echo "note: delay_queue not built (TANGO_DELAY_QUEUE unset): 1% loss without the 2 ms delay"
      start_test_cluster --nodes 2 --rate 1gbit --loss 1
      delayed=0
    fi
    ;;
  link-down | kill-host) start_test_cluster --nodes 2 --rate 1gbit ;;
  *) echo "unknown mode '$mode'"; exit 2 ;;
esac

parts="$work_dir/parts"
"$partition" "synthetic:nodes=20000,avg_degree=10,classes=5,features=64,homophily=0.7,seed=3" --parts 4 \
  --out "$parts" >"$work_dir/partition.log" 2>&1 || { cat "$work_dir/partition.log"; echo "FAIL - tango-partition"; exit 1; }

losses() { python3 -c 'import json,sys; [print(repr(json.loads(l)["loss"])) for l in open(sys.argv[1]) if l.strip()]' "$1"; }
# Processes of the job still alive on host K (tango-train, orted, mpirun).
job_pids_on() { ip netns pids "${prefix}$1" 2>/dev/null | while read -r pid; do
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" =~ ^(tango-train|orted|mpirun)$ ]] && echo "$pid"; done; }
rank_pids_on() { ip netns pids "${prefix}$1" 2>/dev/null | while read -r pid; do
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == tango-train ]] && echo "$pid"; done; }
no_job_left_on() { [[ -z "$(job_pids_on "$1")" ]]; }
# wait_for_epochs FILE N SECONDS: until FILE has N lines.
wait_for_epochs() {
  local deadline=$((SECONDS + $3))
  while [[ $SECONDS -lt $deadline ]]; do
    [[ -f "$1" && $(wc -l <"$1") -ge $2 ]] && return 0
    sleep 0.2
  done
  return 1
}

timeout_s=10
train_args=(--parts "$parts" --model gcn --layers 2 --hidden 64 --seed 5 --eval-every 5)

if [[ "$mode" == lossy ]]; then
  train_args+=(--epochs 5)
  (unset TANGO_MPIRUN TANGO_MPIRUN_ARGS
    "$run" -np 4 -- "$train" "${train_args[@]}" --metrics "$work_dir/clean.jsonl") >"$work_dir/clean.log" 2>&1
  check "clean: 4 ranks on one host train" test $? -eq 0 || tail -20 "$work_dir/clean.log"
  start=$SECONDS
  TANGO_COMM_TIMEOUT_S=120 "$run" -np 4 --hostfile "$cluster_dir/hostfile" -- "$train" "${train_args[@]}" \
    --metrics "$work_dir/lossy.jsonl" >"$work_dir/lossy.log" 2>&1
  check "lossy: 2 hosts x 2 ranks over 1% loss train to the end" test $? -eq 0 || tail -20 "$work_dir/lossy.log"
  echo "note: the lossy run took $((SECONDS - start)) s"
  # The packets the loss rules dropped on every link, both directions (nftables counters).
  dropped=0
  for ns in "${prefix}1" "${prefix}2" "${prefix}-sw"; do
    n=$(ip netns exec "$ns" nft list ruleset 2>/dev/null | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }')
    dropped=$((dropped + n))
  done
  echo "note: the links dropped $dropped packets"
  check "lossy: the links really dropped packets" test "$dropped" -gt 0
  if [[ $delayed -eq 1 ]]; then
    rtt=$("$cluster_dir/on" "${prefix}1" ping -c 3 -i 0.2 -q "10.211.0.2" | awk -F/ '/^rtt/ { print $5 }')
    echo "note: ping ${prefix}1 -> ${prefix}2 over the delayed links: ${rtt} ms average"
    check "lossy: the switch delays packets (ping RTT >= 4 ms: 2 ms each way)" \
      awk -v r="${rtt:-0}" 'BEGIN { exit !(r >= 4.0) }'
  fi
  check "lossy: 5 epochs of losses" test "$(losses "$work_dir/lossy.jsonl" 2>/dev/null | wc -l)" -eq 5
  check "lossy: per-epoch losses equal the clean run's bit for bit" \
    diff <(losses "$work_dir/clean.jsonl") <(losses "$work_dir/lossy.jsonl")
  finish_checks
  exit
fi

# A long run in the background: the fault comes once 3 epochs are done (checkpoints every epoch).
ckpt="$work_dir/ckpt"
train_args+=(--checkpoint-dir "$ckpt" --checkpoint-every 1)
TANGO_COMM_TIMEOUT_S=$timeout_s "$run" -np 4 --hostfile "$cluster_dir/hostfile" -- "$train" "${train_args[@]}" --epochs 100000 \
  --metrics "$work_dir/run.jsonl" >"$work_dir/run.log" 2>&1 &
job=$!
if ! wait_for_epochs "$work_dir/run.jsonl" 3 120; then
  tail -30 "$work_dir/run.log"
  echo "FAIL - the job did not reach epoch 3 in 120 s"
  kill -KILL "$job" 2>/dev/null
  exit 1
fi

fault_at=$SECONDS
if [[ "$mode" == link-down ]]; then
  "$netns_cluster" link "$cluster_dir" 2 down
  limit=$((timeout_s + 30))
else
  "$netns_cluster" kill "$cluster_dir" 2
  limit=30
fi
# Wait for the launcher, at most limit + 30 s (then it is a hang: kill it and fail).
while kill -0 "$job" 2>/dev/null && [[ $((SECONDS - fault_at)) -lt $((limit + 30)) ]]; do sleep 0.5; done
if kill -0 "$job" 2>/dev/null; then
  kill -KILL "$job" 2>/dev/null
  ended="never (killed after $((SECONDS - fault_at)) s)"
  rc=999
else
  wait "$job"
  rc=$?
  ended="$((SECONDS - fault_at)) s"
fi
echo "note: the launcher ended $ended after the fault, exit code $rc"
tail -n 15 "$work_dir/run.log"
check "$mode: the launcher exits non-zero" test "$rc" -ne 0 -a "$rc" -ne 999
check "$mode: ... within $limit s of the fault" test "$rc" -ne 999 -a $((SECONDS - fault_at)) -le "$limit"
if [[ "$mode" == link-down ]]; then
  check "link-down: a rank's line names the unreachable host ${prefix}2" \
    grep -q "aborting the job: .*rank [23] on ${prefix}2" "$work_dir/run.log"
  # While the link is still down: no rank on either side of the cut, nothing of the job on host 1.
  check "link-down: no rank left on either host (link still down)" test -z "$(rank_pids_on 1)$(rank_pids_on 2)"
  check "link-down: nothing of the job left on host 1" no_job_left_on 1
  # Host 2's daemon cannot be told anything while its link is down; it ends once its connection to
  # the gone mpirun fails, which happens as soon as the link is back.
  "$netns_cluster" link "$cluster_dir" 2 up
  up_at=$SECONDS
  while ! no_job_left_on 2 && [[ $((SECONDS - up_at)) -lt 30 ]]; do sleep 0.5; done
  check "link-down: host 2's daemon ends within 30 s of the link coming back" no_job_left_on 2
  echo "note: host 2 was clear $((SECONDS - up_at)) s after the link came back"
else
  check "kill-host: no process of the job left on host 1" no_job_left_on 1
fi
check "$mode: no temp file left among the checkpoints" test -z "$(find "$ckpt" -name '*.tmp*' 2>/dev/null)"
# The checkpoints left behind are whole: the run continues from them on one host.
done_epochs=$(wc -l <"$work_dir/run.jsonl")
(unset TANGO_MPIRUN TANGO_MPIRUN_ARGS
  "$run" -np 4 -- "$train" "${train_args[@]}" --epochs $((done_epochs + 2)) --resume \
    --metrics "$work_dir/resumed.jsonl") >"$work_dir/resume.log" 2>&1
check "$mode: the run resumes from its checkpoints on one host" test $? -eq 0 || tail -20 "$work_dir/resume.log"
finish_checks
