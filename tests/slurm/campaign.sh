#!/usr/bin/env bash
# A campaign through a real Slurm: starts munged, slurmctld and slurmd on
# localhost (tests/slurm/slurm-local.sh), submits a 16-run campaign as a job
# array of 3 shards with `moesim sweep --slurm -- --wait`, checks that the
# merged database holds every run exactly once; kills a shard of a second
# campaign with scancel, resubmits it and checks the merge; stops the daemons.
#
#   bash tests/slurm/campaign.sh /path/to/moesim      (from the repository root, as root)
set -u
MOESIM=${1:?usage: bash tests/slurm/campaign.sh /path/to/moesim}
[[ $MOESIM == /* ]] || MOESIM=$PWD/$MOESIM
ROOT=$PWD
export LC_ALL=C
# Short: Slurm's unix socket paths must stay under 108 bytes.
DIR=$(mktemp -d /tmp/msl.XXXXXX) || exit 2
stop() {
  bash "$ROOT/tests/slurm/slurm-local.sh" stop "$DIR/slurm" >/dev/null 2>&1
  rm -rf "$DIR"
}
trap stop EXIT
if ! env=$(SLURM_LOCAL_SMOKE_TEST=1 bash "$ROOT/tests/slurm/slurm-local.sh" start "$DIR/slurm" 2>"$DIR/start.log"); then
  echo "FAIL  could not start Slurm:"
  tail -n 40 "$DIR/start.log"
  exit 1
fi
eval "$env"
cd "$DIR" || exit 2
Q=$ROOT/tests/fixtures/sweep-quick.yaml  # 16 runs: 10 ok, 4 failed, 2 skipped
failed=0
check() {
  if [[ -z $2 ]]; then printf 'PASS  %s\n' "$1"; else printf 'FAIL  %s: %s\n' "$1" "$2"; failed=1; fi
}
timeout 300 "$MOESIM" sweep "$Q" --db slurm.db -j 1 --slurm --shards 3 -- --wait >submit.txt 2>&1
rc=$?
check "sbatch --wait, then exit status 1 for the failed runs" "$([[ $rc -eq 1 ]] || echo "exit status $rc: $(tr '\n' '|' <submit.txt)")"
check "the job script is written" "$(grep -q '^#SBATCH --array=0-2$' slurm.slurm.sh || echo 'no --array line')"
check "three shard databases" "$(ls slurm.shard-{0,1,2}-of-3.db >/dev/null 2>&1 || ls)"
check "merged into slurm.db" "$(grep -q '^merged 16 runs from 3 shard databases into slurm.db$' submit.txt || cat submit.txt)"
names=$("$MOESIM" results slurm.db --csv - | awk 'NR > 1' | cut -d'"' -f2)
check "every run once" \
  "$([[ $(wc -l <<<"$names") -eq 16 && $(sort -u <<<"$names" | wc -l) -eq 16 ]] || echo "$(wc -l <<<"$names") rows")"
check "the failed and skipped runs are recorded" \
  "$("$MOESIM" results slurm.db | grep -q 'campaign quick: 4 failed 10 ok 2 skipped' || "$MOESIM" results slurm.db)"
# A shard killed (scancel) and resubmitted with the job script moesim wrote:
# what the killed task recorded stays, the resubmitted task runs the rest,
# and the merged database holds every run once. A slower campaign (the flow
# fidelity, 128 chips), so that the task is killed between runs.
sed "s|^platform: \.\./|platform: $ROOT/|" "$ROOT/scenarios/deepseek-v3-decode-v4-4x4x4.yaml" >slow-base.yaml
cat >slow.yaml <<EOF
name: slow
base: $DIR/slow-base.yaml
set: {model.moe_layers: 1, platform: $ROOT/platforms/tpu-v4-4x4x8.yaml, deployment.ep: 128,
      deployment.global_batch: 1024, simgrid.fidelity: flow}
grid:
  seed: [1, 2, 3, 4, 5, 6]
EOF
rows() { "$MOESIM" results "$1" --csv - 2>/dev/null | awk 'NR > 1 {n++} END {print n + 0}'; }
wait_for() { for _ in $(seq 1800); do eval "$1" && return 0; sleep 0.1; done; return 1; }
"$MOESIM" sweep slow.yaml --db slow.db -j 1 --slurm --shards 2 >slow-submit.txt 2>&1
job=$(grep -oE 'as Slurm job [0-9]+' slow-submit.txt | awk '{print $4}')
check "a second campaign submitted without waiting" "$([[ -n $job ]] || cat slow-submit.txt)"
wait_for '[[ -e slow.shard-0-of-2.db && $(rows slow.shard-0-of-2.db) -ge 1 ]]'
scancel "${job}_0"
wait_for "[[ -z \$(squeue -h -j $job 2>/dev/null) ]]"
kept=$(rows slow.shard-0-of-2.db)
check "the killed shard kept what it recorded, and no more" "$([[ $kept -ge 1 && $kept -lt 3 ]] || echo "$kept rows")"
timeout 300 sbatch --wait --array=0 slow.slurm.sh >resubmit.txt 2>&1
check "the shard resubmitted with its job script" "$(grep -q 'Submitted batch job' resubmit.txt || cat resubmit.txt)"
last=$(ls -t slow.slurm-*_0.out | head -1)
check "the resubmitted shard ran only what was missing" \
  "$(grep -q "^campaign slow: 3 runs, $kept already in" "$last" || cat "$last")"
"$MOESIM" merge slow.db slow.shard-0-of-2.db slow.shard-1-of-2.db >merge.txt 2>&1
names=$("$MOESIM" results slow.db --csv - | awk 'NR > 1' | cut -d'"' -f2)
check "killed, resubmitted and merged: every run once" \
  "$([[ $(wc -l <<<"$names") -eq 6 && $(sort -u <<<"$names" | wc -l) -eq 6 ]] || echo "$(wc -l <<<"$names") rows: $(cat merge.txt)")"

[[ $failed -eq 0 ]] && echo "slurm campaign passed"
exit $failed
