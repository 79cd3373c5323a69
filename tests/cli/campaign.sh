#!/usr/bin/env bash
# Command-line tests of campaigns: moesim sweep / results / merge / plot.
# A campaign must survive a killed worker and a killed campaign (the runs in
# flight are lost, nothing is doubled, a re-run completes it), resume
# without repeating work, shard into parts that merge back to the whole,
# and record bad combinations as failed runs without stopping.
#
#   bash tests/cli/campaign.sh /path/to/moesim      (from the repository root)
set -u
if [[ $# -ne 1 ]]; then
  echo "usage: bash tests/cli/campaign.sh /path/to/moesim" >&2
  exit 2
fi
MOESIM=$1
[[ $MOESIM == /* ]] || MOESIM=$PWD/$MOESIM
ROOT=$PWD
[[ -d $ROOT/scenarios ]] || { echo "campaign.sh: run from the repository root" >&2; exit 2; }
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/moesim-campaign.XXXXXX") || exit 2
trap 'pkill -KILL -f "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
cd "$TMP" || exit 2
# Work folders of campaigns go under $TMPDIR: here, so that none outlives the test.
export TMPDIR=$TMP/tmp
mkdir "$TMPDIR" || exit 2

passed=0
failed=0
check() {  # check NAME CONDITION-OUTPUT: passes when the output is empty
  if [[ -z $2 ]]; then
    passed=$((passed + 1))
    printf 'PASS  %s\n' "$1"
  else
    failed=$((failed + 1))
    printf 'FAIL  %s: %s\n' "$1" "$2"
  fi
}
# rows DB [STATUS]: how many runs the database holds (with that status).
rows() {
  "$MOESIM" results "$1" --csv - | awk -F, -v s="${2:-}" 'NR > 1 && (s == "" || $0 ~ "^\"[^\"]*\"," s ",") {n++} END {print n + 0}'
}
# distinct DB: how many distinct run names (each run once).
distinct() { "$MOESIM" results "$1" --csv - | awk 'NR > 1' | cut -d'"' -f2 | sort -u | wc -l; }

Q=$ROOT/tests/fixtures/sweep-quick.yaml  # 16 runs: 10 ok, 4 failed, 2 skipped

"$MOESIM" sweep "$Q" --dry-run >dry.txt 2>dry.err
dry_rc=$?
check "dry run lists 16 runs, 4 of which will fail" \
  "$(grep -q '^16 runs (16 to do, 0 already in quick.db); 4 of those to do will fail as written ("failed:" above)$' dry.txt || echo "$(tail -n 1 dry.txt)")"
check "a dry run with runs that will fail exits 1" "$([[ $dry_rc == 1 ]] || echo "exit $dry_rc")"
check "dry run names runs by their parameters" \
  "$(grep -q $'^5\tep=8,precision=W8A8,platform=tpu-v4-4x4x4\tto run$' dry.txt || echo 'no line for run 5')"
check "dry run shows the unfit runs" \
  "$(grep -c 'skipped: needs 64 chips, the platform has 32' dry.txt | grep -qx 2 || echo 'not 2 skipped')"
check "dry run writes no database" "$([[ ! -e quick.db ]] || echo 'quick.db exists')"

"$MOESIM" sweep "$Q" -j 2 >run.txt 2>run.err
rc=$?
check "a failed run makes the exit status 1" "$([[ $rc -eq 1 ]] || echo "exit status $rc")"
check "the campaign goes on after failures" \
  "$(grep -q '^campaign quick: 16 runs, 0 already in quick.db; this time 10 ok, 4 failed, 2 skipped$' run.txt || cat run.txt)"
check "the failure is recorded with its error" \
  "$("$MOESIM" results quick.db | grep -q "failed: ep=3,precision=W8A8,platform=sg2262-p1r1b4c32: .*sweep-quick.yaml:8: deployment.ep: 3 does not divide the 256 experts of model.num_experts (a value of the sweep's grid)$" || echo 'no recorded error')"
check "16 rows, each once" "$([[ $(rows quick.db) -eq 16 && $(distinct quick.db) -eq 16 ]] || echo "$(rows quick.db) rows")"
check "the work folder is gone" "$(ls -A "$TMPDIR")"

"$MOESIM" sweep "$Q" >again.txt 2>&1
check "a re-run skips what is recorded" \
  "$(grep -q '16 already in quick.db; this time 0 ok, 0 failed, 0 skipped' again.txt || cat again.txt)"
"$MOESIM" sweep "$Q" --retry-failed >retry.txt 2>&1
check "--retry-failed runs the failed ones again" "$(grep -q 'this time 0 ok, 4 failed' retry.txt || cat retry.txt)"
check "still 16 rows" "$([[ $(rows quick.db) -eq 16 ]] || echo "$(rows quick.db) rows")"

# Results: CSV (parameters as columns) and JSON.
"$MOESIM" results quick.db --csv quick.csv --json quick.json
check "CSV has the parameters as columns" \
  "$(head -n 1 quick.csv | grep -q '^name,status,deployment.ep,precision,platform,' || head -n 1 quick.csv)"
check "JSON has runs and layers" \
  "$(grep -q '"layers": \[' quick.json && grep -q '"parameters": \[' quick.json || echo 'no runs/layers')"

# Plots through gnuplot: PNG and SVG.
"$MOESIM" plot quick.db --x deployment.ep --by platform --where precision=W8A8 --out ep.png --out ep.svg >plot.txt 2>plot.err
check "plot writes a PNG" "$([[ $(head -c 8 ep.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || echo "no PNG: $(cat plot.err)")"
check "plot writes an SVG" "$(grep -q '<svg' ep.svg || echo 'no SVG')"
"$MOESIM" plot quick.db --layers "ep=32,precision=W16A16,platform=tpu-v4-4x4x4" --out layers.svg >/dev/null 2>plot.err
check "per-layer bars" "$(grep -q '<svg' layers.svg || echo "no SVG: $(cat plot.err)")"

# Shards: 3 parts, merged, make the whole campaign once.
for i in 0 1 2; do "$MOESIM" sweep "$Q" --shard "$i/3" --db "part$i.db" -j 1 >/dev/null 2>&1; done
"$MOESIM" merge merged.db part0.db part1.db part2.db >merge.txt 2>&1
check "shards merge to every run once" \
  "$([[ $(rows merged.db) -eq 16 && $(distinct merged.db) -eq 16 ]] || echo "$(rows merged.db) rows: $(cat merge.txt)")"
"$MOESIM" merge merged.db part1.db >merge2.txt 2>&1
check "merging again adds nothing" "$(grep -q '^merged 0 new runs from part1.db$' merge2.txt || cat merge2.txt)"

# The shipped campaign: 128 combinations, 32 unfit; one shard of it runs.
for c in "$ROOT"/campaigns/*.yaml; do
  "$MOESIM" sweep "$c" --dry-run --db shipped.db >shipped.txt 2>&1
  check "$(basename "$c") lists its runs" "$(grep -Eq '^[0-9]+ runs \([0-9]+ to do, 0 already in shipped.db\)$' shipped.txt || tail -n 2 shipped.txt)"
  "$MOESIM" sweep "$c" --shard 0/16 --db shipped.db -j 2 >shipped.txt 2>&1
  check "$(basename "$c"): shard 0/16 runs" "$(grep -q ', 0 failed,' shipped.txt || cat shipped.txt)"
done
"$MOESIM" sweep "$ROOT/campaigns/deepseek-v3-decode.yaml" --dry-run --db none.db >ds.txt 2>&1
check "deepseek-v3-decode: 128 runs, 32 unfit" \
  "$([[ $(grep -c 'skipped: needs' ds.txt) -eq 32 ]] && grep -q '^128 runs' ds.txt || tail -n 1 ds.txt)"

# Crashes: runs held in flight by a hook of moesim run (MOESIM_HOLD_DIR: a run
# writes HOLD/PID and waits until that file is removed or HOLD/go exists), so
# that a worker, the campaign or the terminal is killed while runs are going,
# without a workload slow by design.
# Its base is a copy in $TMP, so that pkill patterns name only its workers
# (CTest runs other tests of the same scenario alongside).
sed "s|^platform: \.\./|platform: $ROOT/|" "$ROOT/scenarios/deepseek-v3-decode-v4-4x4x4.yaml" >held-base.yaml
cat >held.yaml <<EOF
name: held
base: $TMP/held-base.yaml
set: {model.moe_layers: 1}
grid:
  seed: [1, 2, 3, 4, 5, 6]
  traffic.routing: [random]
EOF
# wait_for CMD: polls until CMD succeeds (at most 120 s).
wait_for() { for _ in $(seq 1200); do eval "$1" && return 0; sleep 0.1; done; return 1; }
# hold: an empty hold folder; held N: at least N runs wait in it; release: every
# run held now or later goes on.
hold() { rm -rf "$TMP/hold" && mkdir "$TMP/hold"; }
held() { [[ $(find "$TMP/hold" -maxdepth 1 -name '[0-9]*' | wc -l) -ge $1 ]]; }
release() { touch "$TMP/hold/go"; }

# A worker killed: its run is lost, the rest are recorded, a re-run completes.
hold
MOESIM_HOLD_DIR=$TMP/hold "$MOESIM" sweep held.yaml -j 2 --db held.db >kill1.txt 2>&1 &
sweep_pid=$!
wait_for "pgrep -f 'moesim.* run $TMP/held-base.yaml.*seed=1' >/dev/null"
check "a worker writes its report under \$TMPDIR" \
  "$(pgrep -f "moesim.* run $TMP/held-base.yaml --json $TMPDIR/moesim-sweep\.[^/]*/[0-9]+\.json .*seed=1" >/dev/null ||
     pgrep -af "moesim.* run $TMP/held-base.yaml" || echo 'no worker')"
pkill -KILL -f "moesim.* run $TMP/held-base.yaml.*seed=1"
release
wait "$sweep_pid"
rc=$?
check "a killed worker: exit status 1" "$([[ $rc -eq 1 ]] || echo "exit status $rc")"
check "a killed worker loses only its run" "$([[ $(rows held.db) -eq 5 ]] || echo "$(rows held.db) rows: $(cat kill1.txt)")"
check "and says so" "$(grep -q 'seed=1,routing=random: stopped before it finished' kill1.txt || cat kill1.txt)"
"$MOESIM" sweep held.yaml -j 2 --db held.db >kill2.txt 2>&1
check "a re-run completes it, each run once" \
  "$([[ $(rows held.db ok) -eq 6 && $(distinct held.db) -eq 6 ]] || echo "$(rows held.db ok) ok: $(cat kill2.txt)")"

# The campaign itself killed (as by a machine crash): what was recorded stays.
# Of two runs held, one is let go and recorded; the campaign is killed with
# the other and the next one in flight.
hold
MOESIM_HOLD_DIR=$TMP/hold "$MOESIM" sweep held.yaml -j 2 --db crash.db >/dev/null 2>&1 &
sweep_pid=$!
wait_for "held 2"
rm -f "$(find "$TMP/hold" -maxdepth 1 -name '[0-9]*' | head -n 1)"
wait_for "[[ -e crash.db ]] && [[ \$(rows crash.db) -ge 1 ]]"
kill -KILL "$sweep_pid"
pkill -KILL -f "moesim.* run $TMP/held-base.yaml" 2>/dev/null
wait "$sweep_pid" 2>/dev/null
before=$(rows crash.db)
check "a killed campaign keeps its recorded runs" "$([[ $before -ge 1 && $before -lt 6 ]] || echo "$before rows")"
"$MOESIM" sweep held.yaml -j 2 --db crash.db >crash.txt 2>&1
check "resumed: every run once" \
  "$([[ $(rows crash.db ok) -eq 6 && $(distinct crash.db) -eq 6 ]] || echo "$(rows crash.db) rows: $(cat crash.txt)")"
check "resumed: only the missing runs ran" \
  "$(grep -q "this time $((6 - before)) ok" crash.txt || cat crash.txt)"

# Ctrl-C (SIGINT to the campaign and its workers, as a terminal sends it).
hold
MOESIM_HOLD_DIR=$TMP/hold setsid "$MOESIM" sweep held.yaml -j 2 --db int.db >int.txt 2>&1 &
sweep_pid=$!
wait_for "pgrep -f 'moesim.* run $TMP/held-base.yaml.*seed=1' >/dev/null"
kill -INT -- "-$sweep_pid"
wait "$sweep_pid"
rc=$?
check "Ctrl-C: exit status 130" "$([[ $rc -eq 130 ]] || echo "exit status $rc")"
"$MOESIM" sweep held.yaml -j 2 --db int.db >int2.txt 2>&1
check "Ctrl-C then a re-run: every run once" \
  "$([[ $(rows int.db ok) -eq 6 && $(distinct int.db) -eq 6 ]] || echo "$(rows int.db) rows: $(cat int2.txt)")"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
