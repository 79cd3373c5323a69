#!/usr/bin/env bash
# Campaigns under faults of the machine: the results database's disk fills
# during a campaign, it is full before one starts, it is on a read-only file
# system, and two `moesim sweep` processes write it at once. In each case no
# recorded run may be lost or recorded twice, and the error is one line.
# (A killed worker, a killed campaign and Ctrl-C are in campaign.sh; a killed
# and resubmitted Slurm shard in tests/slurm/campaign.sh.)
#
# The disk cases mount a small tmpfs, which needs root (as in CI); without
# it they print SKIP.
#
#   bash tests/cli/faults.sh /path/to/moesim      (from the repository root)
set -u
if [[ $# -ne 1 ]]; then
  echo "usage: bash tests/cli/faults.sh /path/to/moesim" >&2
  exit 2
fi
MOESIM=$1
[[ $MOESIM == /* ]] || MOESIM=$PWD/$MOESIM
ROOT=$PWD
[[ -d $ROOT/scenarios ]] || { echo "faults.sh: run from the repository root" >&2; exit 2; }
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/moesim-faults.XXXXXX") || exit 2
MNT=$TMP/disk
mkdir "$MNT" "$TMP/tmp"
trap 'umount "$MNT" 2>/dev/null; rm -rf "$TMP"' EXIT
cd "$TMP" || exit 2
export TMPDIR=$TMP/tmp  # the workers' reports: not on the small disk

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
rows() { "$MOESIM" results "$1" --csv - | awk 'NR > 1 {n++} END {print n + 0}'; }
distinct() { "$MOESIM" results "$1" --csv - | awk 'NR > 1' | cut -d'"' -f2 | sort -u | wc -l; }
# one_error FILE REGEX: FILE is one line, moesim's error, matching REGEX.
one_error() {
  [[ $(wc -l <"$1") -eq 1 ]] && grep -qE "^moesim: error: $2" "$1" || echo "$(tr '\n' '|' <"$1")"
}

Q=$ROOT/tests/fixtures/sweep-quick.yaml  # 16 runs: 10 ok, 4 failed, 2 skipped

# Two campaigns on one database at once: every run recorded once, and what
# one of them recorded first, the other does not run again.
"$MOESIM" sweep "$Q" --db both.db -j 1 >both1.txt 2>&1 &
first=$!
"$MOESIM" sweep "$Q" --db both.db -j 1 >both2.txt 2>&1
rc2=$?
wait "$first"
rc1=$?
check "two sweeps at once: both end (exit 0 or 1)" "$([[ $rc1 -le 1 && $rc2 -le 1 ]] || echo "exit $rc1 and $rc2")"
check "two sweeps at once: every run recorded once" \
  "$([[ $(rows both.db) -eq 16 && $(distinct both.db) -eq 16 ]] || echo "$(rows both.db) rows")"
# tally FILE: the runs a campaign's last line accounts for (recorded before,
# this time, or meanwhile by the other process).
tally() {
  grep '^campaign quick:' "$1" | grep -oE '[0-9]+ (already|ok|failed|skipped|recorded meanwhile)' |
    awk '{n += $1} END {print n + 0}'
}
check "two sweeps at once: each accounts for all 16 runs" \
  "$([[ $(tally both1.txt) -eq 16 && $(tally both2.txt) -eq 16 ]] || cat both1.txt both2.txt)"

# A long run stopped (Ctrl-C, or SIGTERM as a batch system sends it): one
# line, exit 128 + the signal, no output file, and no layer worker left.
for sig in INT TERM; do
  "$MOESIM" run "$ROOT/scenarios/deepseek-v3-decode-v5e-16x16-random.yaml" --fidelity flow -j 2 -q \
    --json "stopped-$sig.json" >/dev/null 2>"stopped-$sig.err" &
  pid=$!
  sleep 3
  kill -"$sig" "$pid"
  wait "$pid"
  rc=$?
  want=$((128 + $(kill -l "$sig")))
  check "run stopped by SIG$sig: exit $want, one line" \
    "$([[ $rc -eq $want ]] || echo "exit $rc")$(grep -v '^\[run\] warning: this run needs' "stopped-$sig.err" |
      grep -vx "moesim: interrupted (SIG$sig); no output written")"
  sleep 0.5
  check "run stopped by SIG$sig: no output, no worker left" \
    "$(ls stopped-"$sig".json* 2>/dev/null)$(pgrep -af "moesim.* --json stopped-$sig.json" || true)"
done

if ! mount -t tmpfs -o size=160k tmpfs "$MNT" 2>/dev/null; then
  # As root (CI) a failed mount is a failure, not a reason to skip.
  if [[ $(id -u) -eq 0 || ${CI:-} == true ]]; then
    echo "FAIL  the full-disk and read-only cases: cannot mount a tmpfs on $MNT as root"
    failed=$((failed + 1))
  else
    echo "SKIP  the full-disk and read-only cases: mounting a tmpfs needs root"
  fi
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
fi

# The disk fills during the campaign: it stops with one line naming the
# database and the free space; what it recorded stays, and once there is
# room a re-run records the rest, each run once.
"$MOESIM" sweep "$Q" --db "$MNT/q.db" -j 2 >full.out 2>full.err
rc=$?
check "disk full during a campaign: exit 2" "$([[ $rc -eq 2 ]] || echo "exit $rc: $(cat full.err)")"
check "disk full during a campaign: one line" \
  "$(one_error full.err "$MNT/q\.db: SQLite: (database or disk is full|disk I/O error) \(the file system holding it has 0 B free\)")"
check "disk full: no worker outlives the campaign" "$(pgrep -af "moesim.* run .*$TMPDIR" || true)"
kept=$(rows "$MNT/q.db")
check "disk full: the runs recorded before are readable" "$([[ $kept -ge 1 && $kept -lt 16 ]] || echo "$kept rows")"
mount -o remount,size=4m "$MNT"
"$MOESIM" sweep "$Q" --db "$MNT/q.db" -j 2 >full2.txt 2>&1
check "disk full, then room: a re-run records the rest, each run once" \
  "$([[ $(rows "$MNT/q.db") -eq 16 && $(distinct "$MNT/q.db") -eq 16 ]] || cat full2.txt)"
check "disk full, then room: only the missing runs ran" \
  "$(grep -q "^campaign quick: 16 runs, $kept already in" full2.txt || cat full2.txt)"

# The disk is full before the campaign starts.
rm -f "$MNT"/q.db*
"$MOESIM" sweep "$Q" --db "$MNT/q.db" --shard 0/2 >/dev/null 2>&1
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
"$MOESIM" sweep "$Q" --db "$MNT/q.db" >full3.out 2>full3.err
rc=$?
check "disk already full: exit 2 and one line" \
  "$([[ $rc -eq 2 ]] || echo "exit $rc")$(one_error full3.err ".*q\.db: .*the file system holding it has 0 B free")"
rm -f "$MNT/filler"
check "disk already full: nothing lost" "$([[ $(rows "$MNT/q.db") -eq 8 ]] || echo "$(rows "$MNT/q.db") rows")"

# A read-only file system: the campaign cannot add runs (one line); the
# database can still be read, listed, plotted from and merged elsewhere.
mount -o remount,ro "$MNT"
"$MOESIM" sweep "$Q" --db "$MNT/q.db" >ro.out 2>ro.err
rc=$?
check "read-only: a campaign exits 2 with one line" \
  "$([[ $rc -eq 2 ]] || echo "exit $rc")$(one_error ro.err ".*q\.db: .*read-only")"
check "read-only: results" "$([[ $(rows "$MNT/q.db") -eq 8 ]] || echo "$(rows "$MNT/q.db") rows")"
"$MOESIM" sweep "$Q" --db "$MNT/q.db" --dry-run >ro-dry.txt 2>&1
check "read-only: a dry run lists what is recorded" \
  "$(grep -q '^16 runs (8 to do, 8 already in' ro-dry.txt || tail -n 2 ro-dry.txt)"
"$MOESIM" merge merged.db "$MNT/q.db" >ro-merge.txt 2>&1
check "read-only: merged into another database" \
  "$([[ $(rows merged.db) -eq 8 ]] || cat ro-merge.txt)"
"$MOESIM" plot "$MNT/q.db" --x deployment.ep --where precision=W8A8 --out plot.png >/dev/null 2>ro-plot.txt
check "read-only: plotted" "$([[ -s plot.png ]] || cat ro-plot.txt)"
mount -o remount,rw "$MNT"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
