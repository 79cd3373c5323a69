#!/usr/bin/env bash
# Issue 31's pod: DeepSeek-V3 decode with random routing (8 expert groups,
# top-4 groups), EP 256 x 36 groups on a 16x24x24 torus (9,216 chips, 90 GB/s
# and 1 us a link), LAYERS MoE layers (default 58), default options. Prints a
# Markdown row: the median wall time and peak memory of REPEAT runs (default
# 3; /usr/bin/time -v), the run's own estimate (its warning, given over a
# minute) and the command.
#
#   bench/pod-9216.sh [MOESIM_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
moesim=${1:-$root/build/moesim}
repeat=${REPEAT:-3}
layers=${LAYERS:-58}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'name: torus-16x24x24\ntopology: {kind: torus, dims: [16, 24, 24], bandwidth: 90GBps, latency: 1us}\n' \
  >"$work/torus-16x24x24.yaml"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
args=("$root/scenarios/deepseek-v3-decode-v5e-16x16-random.yaml" --set "platform=$work/torus-16x24x24.yaml"
  --set deployment.groups=36 --set "model.moe_layers=$layers")
walls=() mems=()
for ((i = 0; i < repeat; i++)); do
  /usr/bin/time -v "$moesim" run "${args[@]}" >/dev/null 2>"$work/err" ||
    { echo "failed: $(grep -m1 error "$work/err")" >&2; exit 1; }
  walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/err")")
  mems+=("$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$work/err")")
done
estimate=$(grep -m1 -o 'this run needs about [^(]*([^)]*) and [0-9:]*[0-9]' "$work/err" |
  sed 's/this run needs //; s/ (routes[^)]*)//' || echo "under a minute (no warning)")
shown="${args[*]}"
shown=${shown//"$root/"/}
shown=${shown//"$work/"/}
echo "| layers | wall s | peak MB | estimate | command |"
echo "|---:|---:|---:|---|---|"
echo "| $layers | $(printf '%s\n' "${walls[@]}" | median) | $(printf '%s\n' "${mems[@]}" | median) | $estimate | \`moesim run $shown\` |"
