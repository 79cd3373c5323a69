#!/usr/bin/env bash
# Issue 30's speed check: wall time and peak memory (medians of REPEAT runs,
# default 3; /usr/bin/time -v) of one uniform layer, bound engine, on a
# 16x24x24 torus (9216 chips, 50 GB/s and 1 us a link), healthy and with one
# dead link, for an EP group of 64 chips (the run is mostly the topology)
# and of 1024. Prints a Markdown table with the command of each row.
#
#   bench/faults.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
repeat=${REPEAT:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'name: torus-16x24x24\ntopology: {kind: torus, dims: [16, 24, 24], bandwidth: 50GBps, latency: 1us}\n' \
  >"$work/torus-16x24x24.yaml"
scenario() {  # scenario EP: one uniform layer of EP chips
  printf 'platform: torus-16x24x24.yaml\nmodel: {hidden_dim: 7168, num_experts: %s, topk: 8}\n' "$1"
  printf 'deployment: {global_batch: %s, seq_len: 1, ep: %s}\nengine: bound\n' "$1" "$1"
}
scenario 64 >"$work/ep64.yaml"
scenario 1024 >"$work/ep1024.yaml"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

row() {  # row NAME ARGS...: one table row for `moesim run ARGS`
  local name=$1 walls=() mems=()
  shift
  for ((i = 0; i < repeat; i++)); do
    /usr/bin/time -v "$moesim" run "$@" >"$work/out" 2>"$work/err" ||
      { echo "failed: $* : $(grep -m1 error "$work/err")" >&2; exit 1; }
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/err")")
    mems+=("$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$work/err")")
  done
  local shown=${*//$work\//}
  echo "| $name | $(printf '%s\n' "${walls[@]}" | median) | $(printf '%s\n' "${mems[@]}" | median) | \`moesim run $shown\` |"
}

echo "| case | wall s (median of $repeat) | peak MiB | command |"
echo "|---|---|---|---|"
dead="faults=[{link: ici-z-100, down: true}]"
row "16x24x24, EP 64, healthy" "$work/ep64.yaml"
row "16x24x24, EP 64, one dead link" "$work/ep64.yaml" --set "$dead"
row "16x24x24, EP 1024, healthy" "$work/ep1024.yaml"
row "16x24x24, EP 1024, one dead link" "$work/ep1024.yaml" --set "$dead"
