#!/usr/bin/env bash
# A campaign through a real Slurm: starts munged, slurmctld and slurmd on
# localhost (tests/slurm/slurm-local.sh), submits a 16-run campaign as a job
# array of 3 shards with `moesim sweep --slurm -- --wait`, checks that the
# merged database holds every run exactly once, and stops the daemons.
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
[[ $failed -eq 0 ]] && echo "slurm campaign passed"
exit $failed
