#!/usr/bin/env bash
# The replay harness on this machine's CPU (torch.distributed, gloo, several
# local processes): moesim traffic exports a small scenario's layers, the
# harness replays them, and
#   - the bytes each rank received from each rank (what the senders said,
#     every byte checked against its pattern) are exactly moesim's rows;
#   - moesim check reads the measurement CSV the harness wrote;
#   - a byte changed after it arrived, a cut or edited traffic file and a
#     wrong number of processes are each refused in one line.
#
#   bash tests/harness/replay.sh /path/to/moesim      (from the repository root)
#
# The Python is $MOESIM_PYTHON, else the first of python3 and /usr/bin/python3
# that has torch.distributed with gloo (Debian: python3-torch). One PASS/FAIL
# line a case; exits 1 if any case failed.
set -u

if [[ $# -ne 1 ]]; then
  echo "usage: bash tests/harness/replay.sh /path/to/moesim" >&2
  exit 2
fi
MOESIM=$1
[[ $MOESIM == /* ]] || MOESIM=$PWD/$MOESIM
ROOT=$PWD
HARNESS=$ROOT/harness/moesim_replay.py
SCENARIO=$ROOT/tests/fixtures/harness/small-moe-2x2.yaml
[[ -f $HARNESS && -f $SCENARIO ]] || { echo "replay.sh: run from the repository root" >&2; exit 2; }

PY=
for p in ${MOESIM_PYTHON:-} python3 /usr/bin/python3; do
  if "$p" -c 'import torch.distributed as d; assert d.is_available() and d.is_gloo_available()' 2>/dev/null; then
    PY=$p
    break
  fi
done
if [[ -z $PY ]]; then
  echo "FAIL  no Python with torch.distributed and gloo (apt-get install python3-torch, or set MOESIM_PYTHON)"
  exit 1
fi
export LC_ALL=C
TMP=$(mktemp -d "${TMPDIR:-/tmp}/moesim-harness.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  printf 'PASS  %s\n' "$1"
}
fail() {
  failed=$((failed + 1))
  printf 'FAIL  %s: %s [stderr: %s]\n' "$1" "$2" "$(head -c 600 "$TMP/err" 2>/dev/null | tr '\n' '|')"
}

# replay NAME DIR NPROCS [ARGS...]: exports nothing; runs the harness on DIR's
# traffic with few repetitions; rc, and DIR/measured.csv, DIR/received.csv.
replay() {
  local dir=$1 nprocs=$2
  shift 2
  "$PY" "$HARNESS" "$dir/traffic.json" --nprocs "$nprocs" --backend gloo --warmup 1 --iters 3 \
    -o "$dir/measured.csv" --received "$dir/received.csv" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
}

# The rows of a flows CSV, header dropped, sorted.
rows() { tail -n +2 "$1" | sort; }

# case_exact NAME DIR NPROCS SETS...: export, replay, compare, check.
case_exact() {
  local name=$1 dir=$TMP/$2 nprocs=$3
  shift 3
  if ! "$MOESIM" traffic "$SCENARIO" -o "$dir" "$@" >"$TMP/out" 2>"$TMP/err"; then
    fail "$name" "moesim traffic failed"
    return
  fi
  replay "$dir" "$nprocs"
  if [[ $rc -ne 0 ]]; then
    fail "$name" "the harness exited $rc"
  elif [[ $(wc -l <"$dir/traffic.csv") -lt 2 ]]; then
    fail "$name" "the export has no rows"
  elif ! diff <(rows "$dir/traffic.csv") <(rows "$dir/received.csv") >"$TMP/diff"; then
    fail "$name" "received bytes differ from moesim's: $(head -c 300 "$TMP/diff" | tr '\n' '|')"
  elif ! "$MOESIM" check "$SCENARIO" --measurements "$dir/measured.csv" "$@" >"$TMP/out" 2>"$TMP/err"; then
    fail "$name" "moesim check did not read the measurements"
  elif ! grep -q "small-moe-2x2-dispatch" "$TMP/out" || ! grep -q "small-moe-2x2-combine" "$TMP/out"; then
    fail "$name" "moesim check does not list the dispatch and combine points"
  else
    pass "$name"
  fi
}

case_exact "node_dedup, random routing, 2 layers, 4 ranks: received = moesim's rows; moesim check reads it" \
  dedup 4
case_exact "direct with moe_tp 2 (an all-gather phase), 4 ranks" tp2 4 \
  --set deployment.ep=2 --set deployment.moe_tp=2 --set comm.algorithm=direct --set model.moe_layers=1
case_exact "one chip (ep 1): every byte its own" ep1 1 --set deployment.ep=1 --set model.moe_layers=1
if grep -q ',allgather,' "$TMP/tp2/traffic.csv" && grep -q '^small-moe-2x2-allgather,' "$TMP/tp2/measured.csv"; then
  pass "the all-gather is exported and measured"
else
  fail "the all-gather is exported and measured" "no allgather rows or point"
fi
# The same bytes through isend/irecv pairs (the path for a backend without all-to-all).
replay "$TMP/dedup" 4 --exchange p2p
if [[ $rc -ne 0 ]]; then
  fail "--exchange p2p" "the harness exited $rc"
elif ! diff <(rows "$TMP/dedup/traffic.csv") <(rows "$TMP/dedup/received.csv") >/dev/null; then
  fail "--exchange p2p" "received bytes differ from moesim's"
else
  pass "--exchange p2p: received = moesim's rows"
fi
# Two stages a phase, the second named by node_dedup.
if grep -q '^0,dispatch,1,' "$TMP/dedup/traffic.csv"; then pass "node_dedup's second stage"; else
  fail "node_dedup's second stage" "no dispatch stage 1 rows"; fi

# expect_refused NAME STATUS REGEX DIR NPROCS: the harness must exit STATUS with one line matching REGEX.
expect_refused() {
  local name=$1 want=$2 regex=$3 dir=$4 nprocs=$5
  shift 5
  replay "$dir" "$nprocs"
  if [[ $rc -ne $want ]]; then
    fail "$name" "exit status $rc, expected $want"
  elif [[ $(grep -c 'error' "$TMP/err") -ne 1 ]]; then
    fail "$name" "not one error line"
  elif ! grep -Eq -- "$regex" "$TMP/err"; then
    fail "$name" "stderr does not match /$regex/"
  else
    pass "$name"
  fi
}

# A byte changed after it arrived (the harness's test hook) is found.
MOESIM_REPLAY_FLIP=1,combine,1,2 expect_refused "a byte changed on arrival is found" 1 \
  '^moesim_replay: error: layer 1, combine stage 1: rank 2 received 1 of [0-9]+ bytes from rank [0-9] wrong' "$TMP/dedup" 4
expect_refused "3 processes for 4 chips" 2 \
  "^moesim_replay: error: .*traffic\.json: ranks: the traffic is of 4 chips \(1 EP group of 4\), but 3 processes run it" \
  "$TMP/dedup" 3

# Edited copies of the export.
bad() {
  rm -rf "$TMP/bad" && cp -r "$TMP/dedup" "$TMP/bad" && sed -i -e "$2" "$TMP/bad/$1"
}
bad traffic.csv '3s/,\([0-9]*\)$/,1\1/'
expect_refused "a row's bytes edited" 2 \
  "^moesim_replay: error: .*traffic\.json: flows\.bytes: the header says [0-9]+, .*traffic\.csv has [0-9]+" "$TMP/bad" 4
bad traffic.csv '$d'
expect_refused "the last row cut" 2 "flows\.rows: the header says [0-9]+, .*traffic\.csv has [0-9]+" "$TMP/bad" 4
bad traffic.csv '2s/^0,dispatch,0,[0-9]*,/0,dispatch,0,9,/'
expect_refused "a chip the header lacks" 2 "traffic\.csv:2: src: chip 9 is not a chip of the header's ranks" "$TMP/bad" 4
bad traffic.csv '2s/^0,dispatch,/0,expert,/'
expect_refused "an unknown phase" 2 "traffic\.csv:2: phase: 'expert' is not a phase of the header" "$TMP/bad" 4
bad traffic.json 's/"moesim-traffic"/"other"/'
expect_refused "not a moesim traffic header" 2 "traffic\.json: format: 'other' is not moesim-traffic" "$TMP/bad" 4

# The one-GPU measurements shipped under examples/harness/ (docs/harness.md) still read.
for f in "$ROOT"/examples/harness/h100-1gpu-mixtral-ep1-a2a.csv "$ROOT"/examples/harness/h100-1gpu-mixtral-ep1-p2p.csv; do
  if "$MOESIM" check "$ROOT/scenarios/mixtral-8x7b-dgx-h100.yaml" --measurements "$f" --set engine=bound \
      >"$TMP/out" 2>"$TMP/err" && grep -q "dispatch" "$TMP/out"; then
    pass "moesim check reads $(basename "$f")"
  else
    fail "moesim check reads $(basename "$f")" "$(tail -1 "$TMP/err")"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
