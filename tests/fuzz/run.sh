#!/usr/bin/env bash
# The fuzz targets of tests/fuzz/targets.cpp, run on their seeds: the shipped
# files of each kind and tests/fuzz/corpus/TARGET/ (hand-written seeds and
# every finding kept as a regression case).
#
#   tests/fuzz/run.sh --replay REPLAY           every seed through its target once
#                                               (REPLAY: build/tests/fuzz/moesim_fuzz_replay)
#   tests/fuzz/run.sh FUZZ_BUILD SECONDS [TARGET...]
#                                               libFuzzer for SECONDS a target, from the
#                                               seeds (FUZZ_BUILD: a -DMOESIM_FUZZ=ON build),
#                                               JOBS targets at once (default: the cores);
#                                               prints a table of inputs run and findings
#
# A finding (crash, hang over 10 s, leak, sanitizer report, or an exception
# other than the one-line input error) fails the run; libFuzzer's reproducer
# is kept under FINDINGS (default fuzz-findings/) to be added to the corpus.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
targets=(scenario set platform tier6 dot graphml trace measurements sweep)

seeds() {  # seeds TARGET: the files and folders its seeds come from
  local c=$root/tests/fuzz/corpus/$1
  case $1 in
    scenario) echo "$root/scenarios $root/examples/deepseek-v3-decode-h800.yaml $root/examples/pplx-garden-decode.yaml $c" ;;
    platform) echo "$root/platforms/*.yaml $c" ;;
    tier6) echo "$root/tests/fixtures/tier6 $c" ;;
    trace) echo "$root/traces $c" ;;
    measurements) echo "$root/examples/h800-measurements.csv $c" ;;
    sweep) echo "$root/campaigns $root/tests/fixtures/sweep-quick.yaml $c" ;;
    *) echo "$c" ;;
  esac
}

if [ "${1:-}" = --replay ]; then
  replay=${2:?usage: tests/fuzz/run.sh --replay REPLAY_BINARY}
  for t in "${targets[@]}"; do
    # shellcheck disable=SC2046  # the globs of seeds() expand here
    "$replay" "$t" $(seeds "$t")
  done
  exit 0
fi

build=${1:?usage: tests/fuzz/run.sh FUZZ_BUILD SECONDS [TARGET...]}
seconds=${2:?usage: tests/fuzz/run.sh FUZZ_BUILD SECONDS [TARGET...]}
shift 2
[ $# -gt 0 ] && targets=("$@")
findings=${FINDINGS:-fuzz-findings}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$findings"
for t in "${targets[@]}"; do
  [ -n "$(find "$build" -name "fuzz_$t" -type f -perm -u+x)" ] ||
    { echo "tests/fuzz/run.sh: no fuzz_$t under $build (build with -DMOESIM_FUZZ=ON)" >&2; exit 2; }
done
# fuzz TARGET: libFuzzer on it for SECONDS; its exit status in $work/TARGET.status.
fuzz() {
  local t=$1 bin s status=0
  bin=$(find "$build" -name "fuzz_$t" -type f -perm -u+x | head -1)
  mkdir -p "$work/$t"
  # shellcheck disable=SC2046
  for s in $(seeds "$t"); do
    if [ -d "$s" ]; then find "$s" -maxdepth 1 -type f -exec cp {} "$work/$t/" \; ; else cp "$s" "$work/$t/"; fi
  done
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/$t-" "$work/$t" >"$work/$t.log" 2>&1 || status=$?
  echo "$status" >"$work/$t.status"
}
# JOBS targets at once (default: the number of cores), each on one core for SECONDS.
at_once=${JOBS:-$(nproc)}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$at_once" ]; do wait -n || true; done
  fuzz "$t" &
done
wait
failed=0
printf '| target | seconds | inputs run | inputs/s | corpus | finding |\n|---|---|---|---|---|---|\n'
for t in "${targets[@]}"; do
  status=$(cat "$work/$t.status")
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/$t.log")
  corpus=$(find "$work/$t" -type f | wc -l)
  finding=none
  if [ "$status" -ne 0 ]; then
    failed=1
    finding=$(grep -m1 -oE 'ERROR: [^ ]+: [^(]*|uncaught exception|deadly signal|timeout' "$work/$t.log" | head -n 1)
    finding=${finding:-exit $status}
    cp "$work/$t.log" "$findings/$t.log"
  fi
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$seconds" "${runs:-?}" \
    "$(( ${runs:-0} / (seconds > 0 ? seconds : 1) ))" "$corpus" "$finding"
done
if [ "$failed" -ne 0 ]; then
  echo "tests/fuzz/run.sh: findings kept in $findings/ (the reproducers and libFuzzer's logs)" >&2
  exit 1
fi
